import { BroadcastEvent, Channel } from 'adonisjs-broadcasting'

/**
 * A new version of the app is out: every visitor's page shows it
 */
export default class NewRelease extends BroadcastEvent {
  constructor(
    public version: string,
    public message: string
  ) {
    super()
  }

  broadcastOn() {
    return new Channel('releases')
  }
}
