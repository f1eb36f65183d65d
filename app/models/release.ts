import type { DateTime } from 'luxon'
import { compose } from '@adonisjs/core/helpers'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import { Channel } from 'adonisjs-broadcasting'
import { withBroadcasts } from 'adonisjs-broadcasting/mixins/lucid'

/**
 * A published release. Its creation is broadcast as "ReleaseCreated" on
 * the public "releases" channel once the transaction saving it commits
 * (the default channel, "private-release.<id>", would need a policy)
 */
export default class Release extends compose(BaseModel, withBroadcasts({ actions: ['created'] })) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare version: string

  @column()
  declare message: string

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  broadcastOn() {
    return new Channel('releases')
  }
}
