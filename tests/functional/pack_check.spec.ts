import { test } from '@japa/runner'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

/**
 * The script builds this repository, packs both packages and installs the
 * tarballs in a fresh app from the npm cache: about 20 s, so its own timeout
 */
test.group('npm run pack:check', () => {
  test('the packed tarballs install, configure and boot in a fresh app', async ({ assert }) => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import=@poppinss/ts-exec', 'bin/pack_check.ts'],
      { cwd: new URL('../../', import.meta.url) }
    ).catch((error) => assert.fail(`${error.stdout}${error.stderr}`))
    assert.match(stdout, /^pack:check PASSED: \d+ checks in \d+ s$/m)
  }).timeout(180_000)
})
