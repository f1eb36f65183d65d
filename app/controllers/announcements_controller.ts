import type { HttpContext } from '@adonisjs/core/http'
import broadcast from 'adonisjs-broadcasting/services/main'
import NewRelease from '#events/new_release'
import AdminUserAlert from '#events/admin_user_alert'

function text(value: unknown, max = 500): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, max) : null
}

/**
 * The two examples of Masonite's broadcasting docs. Admins only.
 */
export default class AnnouncementsController {
  /**
   * POST /releases with JSON {version, message}: public "releases" channel
   */
  async release({ request, response, auth }: HttpContext) {
    if (auth.user!.role !== 'admin') return response.forbidden({ error: 'Admins only' })
    const version = text(request.input('version'), 40)
    const message = text(request.input('message'))
    if (!version || !message) {
      return response.badRequest({ error: 'version and message are required' })
    }
    await broadcast.emit(new NewRelease(version, message))
    return { sent: true }
  }

  /**
   * POST /alerts with JSON {message}: "private-admins" channel
   */
  async alert({ request, response, auth }: HttpContext) {
    if (auth.user!.role !== 'admin') return response.forbidden({ error: 'Admins only' })
    const message = text(request.input('message'))
    if (!message) return response.badRequest({ error: 'message is required' })
    await broadcast.emit(new AdminUserAlert(message))
    return { sent: true }
  }
}
