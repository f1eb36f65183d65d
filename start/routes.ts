/*
|--------------------------------------------------------------------------
| Routes file
|--------------------------------------------------------------------------
*/
import router from '@adonisjs/core/services/router'
import broadcast from 'adonisjs-broadcasting/services/main'

/**
 * POST /broadcasting/authorize (+ /broadcasting/auth) and
 * POST /broadcasting/user-auth. Guests reach the policy too: a rule
 * decides whether a guest may join.
 */
broadcast.registerRoutes()

router.get('/', async () => ({ app: 'adonisjs-broadcasting example' }))
