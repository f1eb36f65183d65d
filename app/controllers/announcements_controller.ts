import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import broadcast from 'adonisjs-broadcasting/services/main'
import Release from '#models/release'
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
   * POST /releases with JSON {version, message}: saved, then broadcast on
   * the public "releases" channel
   */
  async release({ request, response, auth }: HttpContext) {
    if (auth.user!.role !== 'admin') return response.forbidden({ error: 'Admins only' })
    const version = text(request.input('version'), 40)
    const message = text(request.input('message'))
    if (!version || !message) {
      return response.badRequest({ error: 'version and message are required' })
    }
    /**
     * Both broadcasts wait for the commit: "ReleaseCreated" from the
     * model, "NewRelease" from the dispatched class event
     */
    await db.transaction(async (trx) => {
      const release = await Release.create({ version, message }, { client: trx })
      await NewRelease.dispatch(release)
    })
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
