import { test } from '@japa/runner'
import { Clients, connected, once, sdkAuthorizer, sleep } from '../../helpers/server_clients.ts'

test.group('Embedded server | client event names', (group) => {
  const clients = new Clients()
  group.each.teardown(() => clients.closeAll())

  test('a name over 200 characters gets a non-fatal pusher:error and is not relayed', async ({
    assert,
  }) => {
    // The example app's policy enables client events on presence-chat.<id>
    const channel = 'presence-chat.12'
    const sender = await clients.pusher({ authorizer: await sdkAuthorizer({ user_id: 'a' }) })
    const receiver = await clients.pusher({ authorizer: await sdkAuthorizer({ user_id: 'b' }) })
    await connected(sender)
    await connected(receiver)
    const out = sender.subscribe(channel)
    const into = receiver.subscribe(channel)
    await once(out, 'pusher:subscription_succeeded')
    await once(into, 'pusher:subscription_succeeded')

    const errors: any[] = []
    sender.connection.bind('error', (error: any) => errors.push(error))
    const longest = `client-${'x'.repeat(193)}`
    const tooLong = `${longest}y`
    const heard: string[] = []
    into.bind(longest, () => heard.push('200'))
    into.bind(tooLong, () => heard.push('201'))

    out.trigger(tooLong, { n: 1 })
    out.trigger(longest, { n: 2 })
    await sleep(200)

    assert.deepEqual(heard, ['200'])
    assert.lengthOf(errors, 1)
    assert.equal(
      errors[0].data.message,
      'Client event rejected: its name is 201 characters, the limit is 200'
    )
    assert.equal(sender.connection.state, 'connected')
  })
})
