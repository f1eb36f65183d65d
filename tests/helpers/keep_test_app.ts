import type { Group } from '@japa/runner/core'
import app, { setApp } from '@adonisjs/core/services/app'
import { BaseEvent } from '@adonisjs/core/events'
import { BroadcastManager } from '../../src/broadcast_manager.ts'
import { useModelBroadcaster } from '../../src/mixins/lucid.ts'

/**
 * Booting a second app in this process sets process-wide state: the "app"
 * service, the emitter class events dispatch on, the services Lucid model
 * broadcasts use. After each test of the group, the test app gets them
 * back, or the suites after it would reach the second app.
 */
export function keepTestApp(group: Group) {
  group.each.setup(async () => {
    const testApp = app
    const emitter = await testApp.container.make('emitter')
    return () => {
      setApp(testApp)
      BaseEvent.useEmitter(emitter)
      useModelBroadcaster(async () => ({
        broadcast: await testApp.container.make(BroadcastManager),
        logger: await testApp.container.make('logger'),
      }))
    }
  })
}
