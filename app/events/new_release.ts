import { BaseEvent } from '@adonisjs/core/events'
import { Channel } from 'adonisjs-broadcasting'
import type { Broadcastable } from 'adonisjs-broadcasting/types'
import type Release from '#models/release'

/**
 * A new version of the app is out: every visitor's page shows it. A class
 * event: "NewRelease.dispatch(release)" broadcasts it with no listener,
 * once the transaction that saved the release commits.
 */
export default class NewRelease extends BaseEvent implements Broadcastable {
  constructor(public release: Release) {
    super()
  }

  broadcastOn() {
    return new Channel('releases')
  }

  broadcastWith() {
    return { version: this.release.version, message: this.release.message }
  }

  broadcastAfterCommit() {
    return true
  }
}
