/**
 * GET /echo-react: laravel-echo's React hooks against the embedded server.
 * Bundled by bin/build_echo_react.ts; resources/echo_react.html holds the
 * config the controller writes (the key, the CSRF token, the user).
 */
import { useEffect, useState } from 'react'
import { createRoot } from 'react-dom/client'
import {
  configureEcho,
  useConnectionStatus,
  useEcho,
  useEchoPresence,
  useEchoPublic,
} from '@laravel/echo-react'

const config = JSON.parse(document.getElementById('config').textContent)

configureEcho({
  broadcaster: 'pusher',
  key: config.key,
  cluster: '',
  wsHost: location.hostname,
  wsPort: Number(location.port || 80),
  wssPort: Number(location.port || 443),
  forceTLS: location.protocol === 'https:',
  enabledTransports: ['ws', 'wss'],
  // laravel-echo posts here by default; an alias of the auth route
  authEndpoint: '/broadcasting/auth',
  auth: { headers: { 'X-CSRF-TOKEN': config.csrfToken } },
})

/**
 * "subscribed" once the server confirmed the hook's subscription, so a test
 * publishes only then (Pusher delivers nothing to a later subscriber).
 * Declared after the hook, this effect runs after the one that subscribes.
 */
function useSubscriptionState(channel) {
  const [state, setState] = useState('subscribing')
  useEffect(() => {
    channel()
      .subscribed(() => setState('subscribed'))
      .error((error) => setState(`error ${error?.status ?? ''}`))
  }, [channel])
  return state
}

function Releases() {
  const [releases, setReleases] = useState([])
  // Class events are broadcast under their class name: "." skips Echo's namespace
  const { channel } = useEchoPublic('releases', '.NewRelease', (release) =>
    setReleases((list) => [...list, release])
  )
  const state = useSubscriptionState(channel)
  return (
    <ul id="releases" data-state={state}>
      {releases.map((release) => (
        <li key={release.version}>
          Release {release.version}: {release.message}
        </li>
      ))}
    </ul>
  )
}

/**
 * The docs' private example: useEcho's channels are private, "user.<id>"
 * is "private-user.<id>"
 */
function Account({ user }) {
  const [account, setAccount] = useState([])
  const { channel } = useEcho(`user.${user.id}`, ['.UserUpdated', '.UserDeleted'], (change) =>
    setAccount((list) => [...list, change])
  )
  const state = useSubscriptionState(channel)
  return (
    <>
      <h2>
        My account (useEcho on{' '}
        <span id="private" data-user-id={user.id} data-state={state}>
          private-user.{user.id}
        </span>
        )
      </h2>
      <ul id="account">
        {account.map((change, index) => (
          <li key={index}>{change.fullName}</li>
        ))}
      </ul>
    </>
  )
}

/**
 * The docs' presence example: the members from here / joining / leaving,
 * and whispers ("client-" events: the policy allows them in this room)
 */
function ChatRoom({ user }) {
  const [members, setMembers] = useState([])
  const [typing, setTyping] = useState('')
  const { channel } = useEchoPresence('chat.1', '.client-typing', ({ name }) => setTyping(name))
  const state = useSubscriptionState(channel)
  useEffect(() => {
    channel()
      .here((list) => setMembers(list))
      .joining((member) => setMembers((list) => [...list, member]))
      .leaving((member) => setMembers((list) => list.filter((m) => m.name !== member.name)))
  }, [channel])
  // The typing notice fades: a whisper is sent on each keystroke
  useEffect(() => {
    if (!typing) return
    const timer = setTimeout(() => setTyping(''), 3000)
    return () => clearTimeout(timer)
  }, [typing])
  return (
    <>
      <h2>Chat room 1 (useEchoPresence on presence-chat.1)</h2>
      <ul id="members" data-state={state}>
        {members.map((member) => (
          <li key={member.name}>{member.name}</li>
        ))}
      </ul>
      <input
        id="typing-input"
        placeholder="Type to whisper"
        onInput={() => channel().whisper('typing', { name: user.name })}
      />
      <p id="typing">{typing && `${typing} is typing`}</p>
    </>
  )
}

function App() {
  const status = useConnectionStatus()
  const user = config.user
  return (
    <>
      <p>
        Connection:{' '}
        <span id="status" data-state={status}>
          {status}
        </span>
      </p>
      <h2>Releases (useEchoPublic)</h2>
      <Releases />
      {user ? (
        <>
          <Account user={user} />
          <ChatRoom user={user} />
        </>
      ) : (
        <p id="guest">
          Log in on <a href="/">the demo page</a> for the private and presence examples.
        </p>
      )}
    </>
  )
}

createRoot(document.getElementById('app')).render(<App />)
