import { HOST, port, type Authorizer } from './server_clients.ts'

/**
 * A browser-like session with the example app: cookies and the page's CSRF
 * token, logged in through POST /login like the demo page does
 */
export class AppSession {
  #cookies = new Map<string, string>()
  csrfToken = ''

  /**
   * The test process's app by default, or an app process at this URL
   */
  constructor(readonly baseUrl = `http://${HOST}:${port()}`) {}

  static async login(email: string, baseUrl?: string) {
    const session = new AppSession(baseUrl)
    const page = await session.request('GET', '/')
    session.csrfToken = (await page.text()).match(/name="csrf-token" content="([^"]+)"/)![1]
    const login = await session.request('POST', '/login', { email, password: 'password' })
    if (login.status !== 200) throw new Error(`login failed: ${login.status}`)
    return session
  }

  async request(method: string, path: string, json?: unknown, form?: Record<string, string>) {
    const headers: Record<string, string> = {
      'cookie': [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; '),
      'x-csrf-token': this.csrfToken,
      'accept': 'application/json',
    }
    let body: string | undefined
    if (json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(json)
    } else if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      body = new URLSearchParams(form).toString()
    }
    const response = await fetch(this.baseUrl + path, { method, headers, body, redirect: 'manual' })
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';')
      const index = pair.indexOf('=')
      this.#cookies.set(pair.slice(0, index), pair.slice(index + 1))
    }
    return response
  }

  /**
   * Authorizes through the app's real route, as pusher-js would post it
   * (form-encoded, session cookie, X-CSRF-TOKEN header)
   */
  authorizer(path = '/broadcasting/authorize'): Authorizer {
    return async (socketId, channel) => {
      const response = await this.request('POST', path, undefined, {
        socket_id: socketId,
        channel_name: channel,
      })
      const body = await response.text()
      if (response.status !== 200) throw new Error(`status ${response.status}: ${body}`)
      return JSON.parse(body)
    }
  }
}
