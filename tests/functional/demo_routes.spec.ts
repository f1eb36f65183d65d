import { test } from '@japa/runner'
import User from '#models/user'
import Release from '#models/release'
import NewRelease from '#events/new_release'
import AdminUserAlert from '#events/admin_user_alert'
import broadcast from 'adonisjs-broadcasting/services/main'

test.group('Demo routes', (group) => {
  group.each.teardown(() => broadcast.restore())

  test('the page renders the CSRF token and the client config, never secrets', async ({
    client,
    assert,
  }) => {
    const response = await client.get('/')
    response.assertStatus(200)
    assert.match(response.text(), /<meta name="csrf-token" content="[^"]+"/)
    assert.include(response.text(), '"key":"')
    assert.notInclude(response.text(), process.env.PUSHER_APP_SECRET ?? 'demo-secret')
  })

  test('login with the seeded admin, then logout', async ({ client, assert }) => {
    const login = await client
      .post('/login')
      .json({ email: 'admin@example.com', password: 'password' })
      .withCsrfToken()
    login.assertStatus(200)
    assert.equal(login.body().user.role, 'admin')

    const wrong = await client
      .post('/login')
      .json({ email: 'admin@example.com', password: 'nope' })
      .withCsrfToken()
    wrong.assertStatus(401)
  })

  test('an admin posting a release broadcasts NewRelease on "releases"', async ({ client }) => {
    const fake = broadcast.fake()
    const admin = await User.findByOrFail('email', 'admin@example.com')
    const response = await client
      .post('/releases')
      .json({ version: '2.0', message: 'Dark mode' })
      .withCsrfToken()
      .loginAs(admin)

    response.assertStatus(200)
    fake.assertEmittedOn('releases', NewRelease)
    fake.assertEmitted(NewRelease, ({ data }) => (data as any).message === 'Dark mode')
    // The model broadcasts its creation too, after the same commit
    fake.assertEmittedOn('releases', 'ReleaseCreated')
    fake.assertEmitted('ReleaseCreated', ({ data }) => (data as any).version === '2.0')
    fake.assertEmitted(Release, 'created', ({ data }) => (data as any).version === '2.0')
    fake.assertNotEmitted(Release, 'deleted')
  })

  test('an admin alert goes to private-admins only', async ({ client }) => {
    const fake = broadcast.fake()
    const admin = await User.findByOrFail('email', 'admin@example.com')
    await client.post('/alerts').json({ message: 'Disk full' }).withCsrfToken().loginAs(admin)

    fake.assertEmittedOn('private-admins', AdminUserAlert)
    fake.assertNotEmitted(NewRelease)
  })

  test('a basic user cannot post, and nothing is broadcast', async ({ client }) => {
    const fake = broadcast.fake()
    const basic = await User.findByOrFail('email', 'basic@example.com')
    const release = await client
      .post('/releases')
      .json({ version: '2.0', message: 'x' })
      .withCsrfToken()
      .loginAs(basic)
    release.assertStatus(403)
    const alert = await client.post('/alerts').json({ message: 'x' }).withCsrfToken().loginAs(basic)
    alert.assertStatus(403)
    fake.assertNothingEmitted()
  })

  test('a guest gets 401 and bad input a 400', async ({ client }) => {
    const fake = broadcast.fake()
    const guest = await client
      .post('/releases')
      .json({ version: '1', message: 'x' })
      .withCsrfToken()
      .accept('json')
    guest.assertStatus(401)

    const admin = await User.findByOrFail('email', 'admin@example.com')
    const bad = await client.post('/releases').json({ version: '' }).withCsrfToken().loginAs(admin)
    bad.assertStatus(400)
    fake.assertNothingEmitted()
  })
})
