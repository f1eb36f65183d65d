/*
|--------------------------------------------------------------------------
| Routes file
|--------------------------------------------------------------------------
*/
import router from '@adonisjs/core/services/router'

router.get('/', async () => ({ app: 'adonisjs-broadcasting example' }))
