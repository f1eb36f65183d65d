import { readFile } from 'node:fs/promises'

/**
 * App files the docs show whole, each a code block whose first line names
 * the file ("// start/routes.ts"): they must pass a starter kit's lint and
 * type-check in an app
 */
export const DOC_APP_FILES: Array<[doc: string, path: string]> = [
  ['getting-started.md', 'app/events/order_shipped.ts'],
  ['getting-started.md', 'app/controllers/orders_controller.ts'],
  ['getting-started.md', 'start/routes.ts'],
  ['getting-started.md', 'database/migrations/1700000000000_alter_users_table.ts'],
  ['testing.md', 'tests/functional/channel_policies.spec.ts'],
  ['policies.md', 'tests/unit/policies.spec.ts'],
]

/**
 * The last TypeScript block of a doc whose first line names the file
 */
export async function docSnippet(doc: string, path: string) {
  const text = await readFile(new URL(`../../docs/${doc}`, import.meta.url), 'utf8')
  const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1])
  const block = blocks.findLast((body) => body.startsWith(`// ${path}\n`))
  if (!block) throw new Error(`docs/${doc} has no snippet of ${path}`)
  return block
}
