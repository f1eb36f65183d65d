import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Releases the admin publishes (app/models/release.ts)
 */
export default class extends BaseSchema {
  protected tableName = 'releases'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table.string('version', 40).notNullable()
      table.string('message', 500).notNullable()
      table.timestamp('created_at').notNullable()
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
