/*
|--------------------------------------------------------------------------
| Build step: copy the stubs next to the compiled "stubs/main.js"
|--------------------------------------------------------------------------
*/
import { cp } from 'node:fs/promises'

await cp(new URL('../stubs/', import.meta.url), new URL('../build/stubs/', import.meta.url), {
  recursive: true,
  filter: (source) => !source.endsWith('.ts'),
})
