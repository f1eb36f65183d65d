import { indexEntities } from '@adonisjs/core'
import { defineConfig } from '@adonisjs/core/app'

export default defineConfig({
  /**
   * The repository root is also the package, whose "commands" folder holds
   * the package's commands: the example app keeps its own elsewhere
   */
  directories: {
    commands: 'app/commands',
  },

  commands: [
    () => import('@adonisjs/core/commands'),
    () => import('@adonisjs/lucid/commands'),
    () => import('@adonisjs/queue/commands'),
    () => import('adonisjs-broadcasting/commands'),
  ],

  providers: [
    () => import('@adonisjs/core/providers/app_provider'),
    () => import('@adonisjs/core/providers/hash_provider'),
    {
      file: () => import('@adonisjs/core/providers/repl_provider'),
      environment: ['repl', 'test'],
    },
    () => import('@adonisjs/session/session_provider'),
    () => import('@adonisjs/shield/shield_provider'),
    () => import('@adonisjs/lucid/database_provider'),
    () => import('@adonisjs/auth/auth_provider'),
    () => import('@adonisjs/redis/redis_provider'),
    /**
     * Not in tests: the package's own tests drive the queue, which is one
     * per process (tests/unit/native/queued_broadcast.spec.ts)
     */
    {
      file: () => import('@adonisjs/queue/queue_provider'),
      environment: ['web', 'console', 'repl'],
    },
    () => import('adonisjs-broadcasting/broadcast_provider'),
  ],

  preloads: [
    () => import('#start/routes'),
    () => import('#start/kernel'),
    () => import('#start/events'),
    { file: () => import('#tests/fixtures/routes'), environment: ['test'] },
  ],

  metaFiles: [{ pattern: 'policies/**/!(*.test).yaml', reloadServer: false }],

  tests: {
    suites: [
      { name: 'unit', files: ['tests/unit/**/*.spec.{ts,js}'], timeout: 10000 },
      { name: 'functional', files: ['tests/functional/**/*.spec.{ts,js}'], timeout: 30000 },
      { name: 'browser', files: ['tests/browser/**/*.spec.{ts,js}'], timeout: 90000 },
    ],
    forceExit: true,
  },

  hooks: {
    init: [indexEntities()],
  },
})
