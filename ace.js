/*
|--------------------------------------------------------------------------
| JavaScript entrypoint for running ace commands
|--------------------------------------------------------------------------
|
| Runs the TypeScript sources through ts-exec, so no build step is needed.
|
*/
import '@poppinss/ts-exec'
await import('./bin/console.js')
