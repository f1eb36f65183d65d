/*
|--------------------------------------------------------------------------
| Routes file
|--------------------------------------------------------------------------
*/
import router from '@adonisjs/core/services/router'
import app from '@adonisjs/core/services/app'
import broadcast from 'adonisjs-broadcasting/services/main'
import { middleware } from '#start/kernel'

const DemoPageController = () => import('#controllers/demo_page_controller')
const EchoVuePageController = () => import('#controllers/echo_vue_page_controller')
const EchoReactPageController = () => import('#controllers/echo_react_page_controller')
const SessionController = () => import('#controllers/session_controller')
const AnnouncementsController = () => import('#controllers/announcements_controller')
const HealthChecksController = () => import('#controllers/health_checks_controller')
const AdminNotesController = () => import('#controllers/admin_notes_controller')

/**
 * POST /broadcasting/authorize (+ /broadcasting/auth) and
 * POST /broadcasting/user-auth. Guests reach the policy too: the policy
 * decides what a guest may join. Also POST /broadcasting/webhooks, for
 * Pusher's webhooks ("incomingWebhooks" in config/broadcast.ts): a
 * callback given here (say, to add middleware.auth()) is never applied to
 * that one.
 */
broadcast.registerRoutes()

/**
 * GET /metrics: Prometheus text, guarded by "metrics.shouldExpose"
 */
broadcast.registerMetricsRoute()

/**
 * Liveness, readiness, and the report (start/health.ts): the details only
 * for whom GET /metrics admits, the status for anyone else
 */
router.get('/health/live', [HealthChecksController, 'live']).as('health.live')
router.get('/health/ready', [HealthChecksController, 'ready']).as('health.ready')
router.get('/health', [HealthChecksController, 'show']).as('health')

router.get('/', [DemoPageController]).as('demo')
// The build with encryption: it decrypts "private-encrypted-" channels
router.get('/assets/pusher.min.js', ({ response }) =>
  response.download(app.makePath('node_modules/pusher-js/dist/web/pusher-with-encryption.min.js'))
)

/**
 * GET /echo-vue: laravel-echo's Vue hooks (@laravel/echo-vue) against the
 * embedded server, with the packages' browser builds and no build step
 */
router.get('/echo-vue', [EchoVuePageController]).as('echo-vue')
router.get('/assets/vue.global.prod.js', ({ response }) =>
  response.download(app.makePath('node_modules/vue/dist/vue.global.prod.js'))
)
router.get('/assets/echo-vue.iife.js', ({ response }) =>
  response.download(app.makePath('node_modules/@laravel/echo-vue/dist/echo-vue.iife.js'))
)

/**
 * GET /echo-react: laravel-echo's React hooks (@laravel/echo-react), the
 * same page bundled by "npm run build:echo-react" (a 404 until then)
 */
router.get('/echo-react', [EchoReactPageController]).as('echo-react')
router.get('/assets/echo-react.js', [EchoReactPageController, 'bundle'])

router.post('/login', [SessionController, 'store']).as('session.store')
router.post('/logout', [SessionController, 'destroy']).as('session.destroy')

router
  .group(() => {
    router.post('/releases', [AnnouncementsController, 'release']).as('releases.store')
    router.post('/alerts', [AnnouncementsController, 'alert']).as('alerts.store')
    router.post('/admin-notes', [AdminNotesController, 'store']).as('admin_notes.store')
  })
  .use(middleware.auth())
