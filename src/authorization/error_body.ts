/**
 * The error body the auth routes answer with: `{error: {code, message}}`
 */
export function errorBody(code: string, message: string) {
  return { error: { code, message } }
}
