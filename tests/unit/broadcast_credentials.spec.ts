import { test } from '@japa/runner'
import { readFile } from 'node:fs/promises'
import { AceFactory } from '@adonisjs/core/factories'
import app, { setApp } from '@adonisjs/core/services/app'
import BroadcastCredentials from '../../commands/broadcast_credentials.ts'
import { setDotenvValues } from '../../src/drivers/app_credentials.ts'

const BASE_URL = new URL('../tmp/credentials/', import.meta.url)

/**
 * "node ace broadcast:credentials [flags]" in an app at BASE_URL, without
 * booting it (as ace runs a command that does not start the app)
 */
async function run(flags: string[] = []) {
  const ace = await new AceFactory().make(BASE_URL, { importer: (path) => import(path) })
  ace.ui.switchMode('raw')
  const command = await ace.create(BroadcastCredentials, flags)
  await command.exec()
  return command
}

async function readEnv() {
  return readFile(new URL('.env', BASE_URL), 'utf8')
}

/**
 * The values a dotenv text assigns
 */
function parse(contents: string) {
  return Object.fromEntries(
    contents
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])
  )
}

/**
 * Booting a second app replaces the global "app" service: the test app
 * must get it back, or later suites resolve bindings from the wrong app
 */
const testApp = app

test.group('broadcast:credentials', (group) => {
  group.each.setup(({ context }) => {
    context.fs.baseUrl = BASE_URL
    context.fs.basePath = BASE_URL.pathname
    return () => setApp(testApp)
  })

  test('writes the credentials to a .env that has none', async ({ fs, assert }) => {
    await fs.create('.env', 'TZ=UTC\nPORT=3333\n')
    await fs.create('.env.example', 'TZ=UTC\nPORT=3333\n')

    const command = await run()
    command.assertSucceeded()

    const env = parse(await readEnv())
    assert.equal(env.TZ, 'UTC')
    assert.equal(env.PORT, '3333')
    assert.match(env.PUSHER_APP_ID, /^\d{6}$/)
    assert.match(env.PUSHER_APP_KEY, /^[0-9a-f]{20}$/)
    assert.match(env.PUSHER_APP_SECRET, /^[0-9a-f]{40}$/)
    // The master key of "private-encrypted-" channels: 32 random bytes
    assert.lengthOf(Buffer.from(env.PUSHER_ENCRYPTION_MASTER_KEY_BASE64, 'base64'), 32)
    // The browser's key is named, not copied, in both files
    assert.equal(env.VITE_PUSHER_APP_KEY, '${PUSHER_APP_KEY}')
    // The committed template is not the place for a secret, only for the browser's key
    assert.equal(
      await readFile(new URL('.env.example', BASE_URL), 'utf8'),
      'TZ=UTC\nPORT=3333\nVITE_PUSHER_APP_KEY=${PUSHER_APP_KEY}\n'
    )
    command.assertLogMatches(/write PUSHER_APP_SECRET to \.env/)
    command.assertLogMatches(/write VITE_PUSHER_APP_KEY to \.env\.example/)

    // A second run changes neither file
    const before = [await readEnv(), await readFile(new URL('.env.example', BASE_URL), 'utf8')]
    ;(await run()).assertSucceeded()
    assert.deepEqual(
      [await readEnv(), await readFile(new URL('.env.example', BASE_URL), 'utf8')],
      before
    )
  })

  test('creates .env when the app has none', async ({ fs, assert }) => {
    await fs.createJson('package.json', { type: 'module' })

    const command = await run()
    command.assertSucceeded()

    assert.sameMembers(Object.keys(parse(await readEnv())), [
      'PUSHER_APP_ID',
      'PUSHER_APP_KEY',
      'PUSHER_APP_SECRET',
      'PUSHER_ENCRYPTION_MASTER_KEY_BASE64',
      'VITE_PUSHER_APP_KEY',
    ])
  })

  test('fills the empty secret of a .env copied from .env.example, keeping the rest', async ({
    fs,
    assert,
  }) => {
    const copied = 'PUSHER_APP_ID=512345\nPUSHER_APP_KEY=publickey\nPUSHER_APP_SECRET=\nTZ=UTC\n'
    await fs.create('.env', copied)

    const command = await run()
    command.assertSucceeded()

    const contents = await readEnv()
    const env = parse(contents)
    assert.equal(env.PUSHER_APP_ID, '512345')
    assert.equal(env.PUSHER_APP_KEY, 'publickey')
    assert.match(env.PUSHER_APP_SECRET, /^[0-9a-f]{40}$/)
    // In place, not appended
    assert.equal(
      contents,
      copied.replace('PUSHER_APP_SECRET=\n', `PUSHER_APP_SECRET=${env.PUSHER_APP_SECRET}\n`) +
        `PUSHER_ENCRYPTION_MASTER_KEY_BASE64=${env.PUSHER_ENCRYPTION_MASTER_KEY_BASE64}\n` +
        'VITE_PUSHER_APP_KEY=${PUSHER_APP_KEY}\n'
    )
    command.assertLogMatches(/write PUSHER_APP_KEY to \.env.*already set, --force replaces it/)
  })

  test('leaves credentials already set, unless --force', async ({ fs, assert }) => {
    const existing =
      'PUSHER_APP_ID=1\nPUSHER_APP_KEY=key\nPUSHER_APP_SECRET=secret\n' +
      'PUSHER_ENCRYPTION_MASTER_KEY_BASE64=a2V5\nVITE_PUSHER_APP_KEY=key\n'
    await fs.create('.env', existing)

    const kept = await run()
    kept.assertSucceeded()
    assert.equal(await readEnv(), existing)

    const forced = await run(['--force'])
    forced.assertSucceeded()
    const env = parse(await readEnv())
    assert.notEqual(env.PUSHER_APP_ID, '1')
    assert.notEqual(env.PUSHER_APP_KEY, 'key')
    assert.match(env.PUSHER_APP_SECRET, /^[0-9a-f]{40}$/)
    assert.notEqual(env.PUSHER_ENCRYPTION_MASTER_KEY_BASE64, 'a2V5')
    assert.lengthOf((await readEnv()).match(/PUSHER_APP_SECRET=/g)!, 1)
  })

  test('--show prints new credentials, says they are not the current ones, writes nothing', async ({
    fs,
    assert,
  }) => {
    await fs.create('.env', 'TZ=UTC\n')

    const command = await run(['--show'])
    command.assertSucceeded()

    assert.equal(await readEnv(), 'TZ=UTC\n')
    command.assertLogMatches(/New credentials, not written \(the ones in \.env stay as they are\)/)
    command.assertLogMatches(/^PUSHER_APP_ID=\d{6}$/)
    command.assertLogMatches(/^PUSHER_APP_KEY=[0-9a-f]{20}$/)
    command.assertLogMatches(/^PUSHER_APP_SECRET=[0-9a-f]{40}$/)
    command.assertLogMatches(/^PUSHER_ENCRYPTION_MASTER_KEY_BASE64=[A-Za-z0-9+/]{43}=$/)
  })

  test('reads the dotenv forms the env parser accepts', ({ assert }) => {
    const values = { PUSHER_APP_KEY: 'new', PUSHER_APP_SECRET: 'new' }

    const quoted = setDotenvValues(
      `PUSHER_APP_KEY=""\nexport PUSHER_APP_SECRET = 'old'\n`,
      values,
      {
        replace: false,
      }
    )
    assert.deepEqual(quoted.written, ['PUSHER_APP_KEY'])
    assert.deepEqual(quoted.kept, ['PUSHER_APP_SECRET'])
    assert.equal(quoted.contents, `PUSHER_APP_KEY=new\nexport PUSHER_APP_SECRET = 'old'\n`)

    // A longer name that starts with the same letters is another variable
    const prefixed = setDotenvValues('PUSHER_APP_KEY_OLD=x\r\n', values, { replace: false })
    assert.equal(
      prefixed.contents,
      'PUSHER_APP_KEY_OLD=x\r\nPUSHER_APP_KEY=new\r\nPUSHER_APP_SECRET=new\r\n'
    )
  })
})
