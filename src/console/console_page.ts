/**
 * What the console page needs to connect: the app key, where the
 * WebSocket and the auth route are, its channel, and the request's CSRF
 * token (the auth route and the test-event route keep CSRF on)
 */
export interface ConsolePageOptions {
  nonce: string
  key: string
  wsPath: string
  authEndpoint: string
  channel: string
  sendPath: string
  csrfToken: string
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!
  )

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2433}
header{display:flex;gap:1rem;align-items:center;padding:.6rem 1rem;background:#1d2433;color:#fff}
header h1{font-size:1rem;margin:0}
#status{padding:.1rem .5rem;border-radius:1rem;background:#888}
#status[data-state=live]{background:#2a8a4a}#status[data-state=refused]{background:#b03030}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:1rem;padding:1rem}
section{background:#fff;border-radius:6px;padding:.6rem .8rem;box-shadow:0 1px 2px #0002;min-width:0}
h2{font-size:.9rem;margin:.2rem 0 .5rem;text-transform:uppercase;color:#556}
ol,ul{list-style:none;margin:0;padding:0;max-height:300px;overflow:auto}
li{border-top:1px solid #eee;padding:.25rem 0;font-size:12px;word-break:break-all}
.allowed{color:#2a7a3a}.denied{color:#b03030}.muted{color:#778}
code{font-size:11px;background:#f0f1f4;padding:0 .2rem}
table{width:100%;border-collapse:collapse;font-size:12px}td,th{text-align:left;padding:.2rem;border-top:1px solid #eee}
canvas{width:100%;height:120px}
form{display:grid;gap:.4rem}input,textarea{font:inherit;padding:.3rem}button{justify-self:start;padding:.3rem .8rem}
`

/**
 * The page's script: a minimal Pusher protocol client (connect, ping,
 * authorize and subscribe to the console channel), rendering each update
 * with textContent only: payloads are the app's users' data. Every node of
 * the cluster sends its own update; the page shows them merged, each
 * socket and item with its node, and forgets a node silent for 3.5 s.
 */
const SCRIPT = `
const cfg = JSON.parse(document.getElementById('console-config').textContent)
const $ = (id) => document.getElementById(id)
const status = (state, text) => { $('status').dataset.state = state; $('status').textContent = text }
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e }
const time = (at) => new Date(at).toLocaleTimeString()
const rates = []
const nodes = new Map()
const NODE_SILENCE_MS = 3500
let socketId

function prepend(list, item, max = 100) {
  const target = $(list)
  target.prepend(item)
  while (target.children.length > max) target.lastChild.remove()
}

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  const ws = new WebSocket(scheme + '://' + location.host + cfg.wsPath + '/app/' + encodeURIComponent(cfg.key) + '?protocol=7&client=console')
  const send = (event, data) => ws.send(JSON.stringify({ event, data }))
  ws.onmessage = (message) => {
    let frame
    try { frame = JSON.parse(message.data) } catch { return }
    const data = typeof frame.data === 'string' ? safeJson(frame.data) : frame.data
    if (frame.event === 'pusher:connection_established') { socketId = data.socket_id; status('connecting', 'authorizing'); subscribe(send) }
    else if (frame.event === 'pusher:ping') send('pusher:pong', {})
    else if (frame.event === 'pusher_internal:subscription_succeeded') status('live', 'live')
    else if (frame.event === 'pusher:subscription_error') status('refused', 'refused: ' + (data && data.error || ''))
    else if (frame.event === 'console.update' && frame.channel === cfg.channel) render(data)
  }
  ws.onclose = (event) => {
    if ($('status').dataset.state === 'refused') return
    status('offline', 'offline (' + event.code + '), reconnecting')
    setTimeout(connect, 2000)
  }
}

function safeJson(text) { try { return JSON.parse(text) } catch { return text } }

async function subscribe(send) {
  const response = await fetch(cfg.authEndpoint, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept': 'application/json', 'x-csrf-token': cfg.csrfToken },
    body: new URLSearchParams({ socket_id: socketId, channel_name: cfg.channel }),
  })
  const body = await response.json().catch(() => ({}))
  if (!response.ok) return status('refused', 'refused by the policies (' + response.status + '): ' + (body.error && body.error.message || ''))
  send('pusher:subscribe', { channel: cfg.channel, auth: body.auth })
}

function live() {
  const now = Date.now()
  for (const [node, seen] of nodes) if (now - seen.at > NODE_SILENCE_MS) nodes.delete(node)
  return [...nodes.values()].map((seen) => seen.update)
}

function mergedChannels(updates) {
  const merged = new Map()
  for (const update of updates) {
    for (const channel of update.channels) {
      const entry = merged.get(channel.name) || { name: channel.name, type: channel.type, count: 0, members: new Set() }
      entry.count += channel.count
      for (const member of channel.members) entry.members.add(member)
      merged.set(channel.name, entry)
    }
  }
  return [...merged.values()].sort((a, b) => a.name.localeCompare(b.name))
}

function render(update) {
  nodes.set(update.node, { update, at: Date.now() })
  const updates = live()
  const several = updates.length > 1
  const from = (node) => several ? el('span', ' node ' + node, 'muted') : ''
  $('node').textContent = (several ? 'nodes ' : 'node ') + updates.map((u) => u.node).sort().join(', ')
  $('connections-count').textContent = updates.reduce((sum, u) => sum + u.connections, 0)
  const channelsSeen = mergedChannels(updates)
  $('channels-count').textContent = channelsSeen.length
  const sockets = $('sockets'); sockets.replaceChildren()
  for (const u of updates) {
    for (const socket of u.sockets) {
      const li = el('li'); li.append(el('code', socket.id), ' ', socket.user ? 'user ' + socket.user + ' ' : '', el('span', socket.channels.join(', '), 'muted'), from(u.node))
      sockets.append(li)
    }
  }
  const channels = $('channels'); channels.replaceChildren()
  for (const channel of channelsSeen) {
    const tr = el('tr'); tr.append(el('td', channel.name), el('td', channel.type), el('td', String(channel.count)), el('td', [...channel.members].join(', ')))
    channels.append(tr)
  }
  for (const event of update.events) {
    const li = el('li'); li.append(el('span', time(event.at) + ' ', 'muted'), el('b', event.event), ' on ' + event.channels.join(', ') + ' ', el('code', event.data), from(update.node))
    prepend('events', li)
  }
  for (const decision of update.decisions) {
    const li = el('li'); li.append(el('span', time(decision.at) + ' ', 'muted'), el('b', decision.allowed ? 'allowed' : 'denied', decision.allowed ? 'allowed' : 'denied'),
      ' ' + decision.channel + (decision.user ? ' for user ' + decision.user : ' for a guest') + ' by ', el('code', decision.pattern || '(no pattern)'), ' ', el('span', decision.reason, 'muted'), from(update.node))
    prepend('decisions', li)
  }
  for (const event of update.clientEvents) {
    const li = el('li'); li.append(el('span', time(event.at) + ' ', 'muted'), el('b', event.event), ' on ' + event.channel + (event.user ? ' from ' + event.user : '') + ' ', el('code', event.data), from(update.node))
    prepend('client-events', li)
  }
  for (const event of update.lifecycle) {
    const { at, name, channel, ...rest } = event
    const li = el('li'); li.append(el('span', time(at) + ' ', 'muted'), el('b', name), ' ' + channel + ' ', el('span', JSON.stringify(rest), 'muted'), from(update.node))
    prepend('lifecycle', li)
  }
  // One point a second: on the updates of the first node, the sum of every node's rate
  if (update.node !== updates.map((u) => u.node).sort()[0]) return
  const perSecond = updates.reduce((sum, u) => sum + u.perSecond, 0)
  rates.push(perSecond); if (rates.length > 60) rates.shift()
  $('rate').textContent = perSecond + ' events/s'
  chart()
}

function chart() {
  const canvas = $('chart'); const ctx = canvas.getContext('2d')
  canvas.width = canvas.clientWidth * devicePixelRatio; canvas.height = canvas.clientHeight * devicePixelRatio
  const max = Math.max(1, ...rates), w = canvas.width, h = canvas.height
  ctx.clearRect(0, 0, w, h); ctx.strokeStyle = '#3a6fd8'; ctx.lineWidth = 2 * devicePixelRatio; ctx.beginPath()
  rates.forEach((rate, i) => { const x = (i / 59) * w, y = h - (rate / max) * (h - 4) - 2; i ? ctx.lineTo(x, y) : ctx.moveTo(x, y) })
  ctx.stroke(); ctx.fillStyle = '#778'; ctx.font = 11 * devicePixelRatio + 'px sans-serif'; ctx.fillText('max ' + max + '/s', 4, 12 * devicePixelRatio)
}

$('send-form').addEventListener('submit', async (event) => {
  event.preventDefault()
  const form = new FormData(event.target)
  const response = await fetch(cfg.sendPath, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'accept': 'application/json', 'x-csrf-token': cfg.csrfToken },
    body: JSON.stringify(Object.fromEntries(form)),
  })
  const body = await response.json().catch(() => ({}))
  $('send-result').textContent = response.ok ? 'sent' : 'not sent (' + response.status + '): ' + (body.error || '')
  $('send-result').className = response.ok ? 'allowed' : 'denied'
})

connect()
`

/**
 * The console page: no build step, no CDN, one request
 */
export function consolePage(options: ConsolePageOptions) {
  const { nonce, ...config } = options
  // "<" escaped: the JSON cannot end the script element
  const json = JSON.stringify(config).replace(/</g, '\\u003c')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Broadcast console</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<header><h1>Broadcast console</h1><span id="status" data-state="connecting">connecting</span><span id="node" class="muted"></span></header>
<main>
<section><h2>Connections <span id="connections-count">0</span></h2><ul id="sockets"></ul></section>
<section><h2>Channels <span id="channels-count">0</span></h2>
<table><thead><tr><th>channel</th><th>type</th><th>sockets</th><th>presence members</th></tr></thead><tbody id="channels"></tbody></table></section>
<section><h2>Events per second <span id="rate" class="muted"></span></h2><canvas id="chart"></canvas></section>
<section><h2>Latest events</h2><ol id="events"></ol></section>
<section><h2>Authorization decisions</h2><ol id="decisions"></ol></section>
<section><h2>Client events</h2><ol id="client-events"></ol></section>
<section><h2>Lifecycle</h2><ol id="lifecycle"></ol></section>
<section><h2>Send a test event</h2>
<form id="send-form">
<input name="channel" placeholder="channel, e.g. releases" required>
<input name="event" placeholder="event, e.g. TestEvent" required>
<textarea name="data" rows="3" placeholder='data (JSON), e.g. {"hello": "world"}'></textarea>
<button type="submit">Send</button><span id="send-result"></span>
</form></section>
</main>
<script type="application/json" id="console-config">${json}</script>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>`
}

/**
 * Shown instead of the console when the policies refuse it
 */
export function refusedPage(reason?: string) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Broadcast console</title></head>
<body><h1>Broadcast console</h1>
<p id="refused">Refused by the channel policies.${reason ? ` ${escapeHtml(reason)}` : ''}</p>
</body></html>`
}
