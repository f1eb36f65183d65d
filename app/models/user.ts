import type { DateTime } from 'luxon'
import hash from '@adonisjs/core/services/hash'
import { compose } from '@adonisjs/core/helpers'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import { withAuthFinder } from '@adonisjs/auth/mixins/lucid'

const AuthFinder = withAuthFinder(() => hash.use('scrypt'), {
  uids: ['email'],
  passwordColumnName: 'password',
})

export default class User extends compose(BaseModel, AuthFinder) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare fullName: string

  @column()
  declare email: string

  /**
   * Hidden from serialization, so it can never reach a policy rule or a browser
   */
  @column({ serializeAs: null })
  declare password: string

  @column()
  declare role: 'admin' | 'basic'

  /**
   * In the chat right now, and when last seen there: written by the
   * lifecycle event listeners (app/listeners/team_presence.ts)
   */
  @column({ consume: (value) => Boolean(value) })
  declare online: boolean

  @column.dateTime()
  declare lastSeenAt: DateTime | null

  /**
   * The ids of the user's team, the user's own among them: in this demo,
   * everyone (the first 100, as many as a watchlist holds)
   */
  async teamIds(): Promise<number[]> {
    const team = await User.query().orderBy('id').select('id').limit(100)
    return team.map((member) => member.id)
  }

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime | null
}
