import type { HttpContext } from '@adonisjs/core/http'
import User from '#models/user'

export default class SessionController {
  /**
   * POST /login with JSON {email, password}
   */
  async store({ request, auth, response }: HttpContext) {
    const { email, password } = request.only(['email', 'password'])
    if (typeof email !== 'string' || typeof password !== 'string') {
      return response.badRequest({ error: 'email and password are required' })
    }
    try {
      const user = await User.verifyCredentials(email, password)
      await auth.use('web').login(user)
      return { user: { id: user.id, fullName: user.fullName, role: user.role } }
    } catch {
      return response.unauthorized({ error: 'Invalid credentials' })
    }
  }

  /**
   * POST /logout
   */
  async destroy({ auth }: HttpContext) {
    await auth.use('web').logout()
    return { ok: true }
  }
}
