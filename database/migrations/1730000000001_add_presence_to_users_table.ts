import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Written by the "broadcast:member_added" and "broadcast:member_removed"
 * listeners (app/listeners/team_presence.ts)
 */
export default class extends BaseSchema {
  protected tableName = 'users'

  async up() {
    this.schema.alterTable(this.tableName, (table) => {
      table.boolean('online').notNullable().defaultTo(false)
      table.timestamp('last_seen_at').nullable()
    })
  }

  async down() {
    this.schema.alterTable(this.tableName, (table) => {
      table.dropColumn('online')
      table.dropColumn('last_seen_at')
    })
  }
}
