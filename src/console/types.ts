/**
 * The debug console: a page showing the embedded server live, fed through
 * a reserved private channel the policy files must admit
 */
export interface ConsoleConfig {
  /**
   * Default: on outside production
   */
  enabled?: boolean
  /**
   * Where the page is served. Default "/broadcasting/console"
   */
  path?: string
  /**
   * The private channel the page listens on, admitted by a policy rule.
   * Default "private-broadcasting-console"
   */
  channel?: string
}
