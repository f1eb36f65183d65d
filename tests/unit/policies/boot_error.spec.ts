import { test } from '@japa/runner'
import { stripVTControlCharacters } from 'node:util'
import { Youch } from 'youch'
import { PolicyError, PolicyService } from '../../../src/policies/main.ts'
import { recordingLogger } from '../../helpers/broadcast.ts'

/**
 * What "bin/server.ts" prints when boot fails: "prettyPrintError" of
 * @adonisjs/core renders the error with Youch
 */
async function printed(error: Error) {
  return stripVTControlCharacters(await new Youch().toANSI(error))
}

test.group('Policies | the boot error', () => {
  test('prints its hint once and the policy file as its code frame, not package code', async ({
    assert,
    fs,
  }) => {
    await fs.create(
      'policies/channels.yaml',
      "channels:\n  private-admins:\n    allow: user != null && user.rol == 'admin'\n"
    )
    const service = new PolicyService(
      {
        path: `${fs.basePath}/policies`,
        watch: false,
        predicates: {},
        user: { model: () => import('#models/user') },
      },
      recordingLogger().logger
    )
    const error = await service.load().then(
      () => null,
      (reason: Error) => reason
    )
    assert.instanceOf(error, PolicyError)
    const boot = (error as PolicyError).forBoot(fs.basePath)
    assert.instanceOf(boot, PolicyError)
    assert.equal(boot.code, 'E_INVALID_POLICY')
    assert.deepEqual([boot.line, boot.column], [3, 33])

    const output = await printed(boot)
    assert.match(output, /channels\.yaml:3:33: private-admins: user has no field "rol"/)
    assert.lengthOf(output.match(/did you mean user\.role\?/g) ?? [], 1)
    // The code frame is the rule, with the position pointed at
    assert.match(output, /❯ 3 ┃\s+allow: user != null && user\.rol == 'admin'/)
    assert.notMatch(output, /compiler\.(ts|js)|node_modules|build\/src/)
  })
})
