import { defineConfig } from '@adonisjs/shield'

export default defineConfig({
  csp: { enabled: false, directives: {}, reportOnly: false },
  /**
   * CSRF stays on for the broadcasting auth routes: pusher-js and
   * laravel-echo send the page's token in the X-CSRF-TOKEN header. Pusher's
   * webhooks carry no token (their signature authenticates them), so their
   * route is exempt, by name so that its configured path does not matter.
   */
  csrf: {
    enabled: true,
    exceptRoutes: (ctx) => ctx.route?.name === 'broadcast.webhooks',
    enableXsrfCookie: true,
    methods: ['POST', 'PUT', 'PATCH', 'DELETE'],
  },
  xFrame: { enabled: true, action: 'DENY' },
  hsts: { enabled: true, maxAge: '180 days' },
  contentTypeSniffing: { enabled: true },
})
