/*
|--------------------------------------------------------------------------
| JavaScript entrypoint for running ace commands
|--------------------------------------------------------------------------
|
| Runs the TypeScript sources through ts-exec, so no build step is needed.
| The example app imports the package by its name: the "adonisjs-broadcasting:source" export
| condition points those imports at the package's sources, not "build/".
|
*/
import { register } from 'node:module'
import '@poppinss/ts-exec'

register('./bin/source_condition.js', import.meta.url)

await import('./bin/console.js')
