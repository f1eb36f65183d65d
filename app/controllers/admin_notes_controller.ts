import type { HttpContext } from '@adonisjs/core/http'
import broadcast from 'adonisjs-broadcasting/services/main'
import AdminNote from '#events/admin_note'

/**
 * POST /admin-notes with JSON {text}: an end-to-end encrypted note on
 * "private-encrypted-admin-notes". Admins only.
 */
export default class AdminNotesController {
  async store({ request, response, auth }: HttpContext) {
    if (auth.user!.role !== 'admin') return response.forbidden({ error: 'Admins only' })
    const text = request.input('text')
    if (typeof text !== 'string' || text.trim() === '') {
      return response.badRequest({ error: 'text is required' })
    }
    await broadcast.emit(new AdminNote(text.trim().slice(0, 500)))
    return { sent: true }
  }
}
