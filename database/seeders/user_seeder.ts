import { BaseSeeder } from '@adonisjs/lucid/seeders'
import User from '#models/user'

/**
 * The two demo logins: one admin, one basic user. Idempotent, so the demo can
 * run it on every start.
 */
export default class UserSeeder extends BaseSeeder {
  async run() {
    await User.updateOrCreateMany('email', [
      { email: 'admin@example.com', fullName: 'Ada Admin', role: 'admin', password: 'password' },
      { email: 'basic@example.com', fullName: 'Bob Basic', role: 'basic', password: 'password' },
    ])
  }
}
