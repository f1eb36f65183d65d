/**
 * Loader hook: resolves the package's own imports with the "adonisjs-broadcasting:source" export
 * condition, so the example app runs the package from its TypeScript files
 */
export function resolve(specifier, context, nextResolve) {
  return nextResolve(specifier, { ...context, conditions: [...context.conditions, 'adonisjs-broadcasting:source'] })
}
