import { test } from '@japa/runner'
import { readFile } from 'node:fs/promises'
import type { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import { ChannelPolicies } from '../../../src/policies/main.ts'
import { shapeFromModel } from '../../../src/policies/user_shape.ts'

/**
 * The hypermedia starter kit's User model, with the "role" column the
 * getting-started guide adds
 */
class User extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare fullName: string | null

  @column()
  declare email: string

  @column({ serializeAs: null })
  declare password: string

  @column()
  declare role: string

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime | null
}

test.group('docs/policies.md | typed rules', () => {
  test('the misspelt-field example prints what the docs show', async ({ assert }) => {
    const doc = await readFile(new URL('../../../docs/policies.md', import.meta.url), 'utf8')
    const section = doc.slice(doc.indexOf('- A misspelt field is a load error'))
    const [, yaml, printed] = section.match(/```yaml\n([\s\S]*?)```[\s\S]*?```\n([\s\S]*?)```/)!
    const dedent = (text: string) => text.replace(/^ {2}/gm, '').trimEnd()

    const error = (() => {
      try {
        ChannelPolicies.fromSource(dedent(yaml), 'policies/channels.yaml', {
          userShape: shapeFromModel(User),
        })
      } catch (reason) {
        return reason as Error
      }
    })()
    assert.equal(error?.message, dedent(printed))
  })
})
