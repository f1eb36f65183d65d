import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './app_process.ts'

/**
 * Debian's nginx (".ci/apt-packages"); another binary with NGINX_BIN
 */
const BINARY = process.env.NGINX_BIN ?? '/usr/sbin/nginx'
const START_TIMEOUT_MS = 10_000

export interface NginxTestServer {
  port: number
  url: string
  stop(): Promise<void>
}

/**
 * The nginx example of docs/scaling.md ("Load balancer"), as written,
 * pointed at the app on "appPort" (or its nodes on several ports) and
 * listening on "port". Throws when the example no longer has the lines
 * replaced here, so the test follows the docs.
 */
export async function docsNginxExample(appPort: number | number[], port: number) {
  const docs = await readFile(new URL('../../docs/scaling.md', import.meta.url), 'utf8')
  const block = docs.match(/```nginx\n([\s\S]*?)```/)?.[1]
  if (!block) throw new Error('docs/scaling.md has no ```nginx block')
  const upstream = /upstream app \{[^}]*\}/
  const listen = /listen 80;/
  if (!upstream.test(block) || !listen.test(block)) {
    throw new Error('the nginx example of docs/scaling.md has no "upstream app" or "listen 80;"')
  }
  return block
    .replace(
      upstream,
      `upstream app {\n${[appPort]
        .flat()
        .map((node) => `  server 127.0.0.1:${node};\n`)
        .join('')}}`
    )
    .replace(listen, `listen 127.0.0.1:${port};`)
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('error', () => resolve(false))
  })
}

/**
 * A real nginx in the foreground (a child of the test), one process, its
 * prefix, pid and temp files in a temp folder, serving what "httpConfig"
 * returns for a free port (the inside of its "http" block). Stopped and
 * its folder removed on stop.
 */
export async function startNginx(
  httpConfig: (port: number) => string | Promise<string>
): Promise<NginxTestServer> {
  const port = await freePort()
  const prefix = await mkdtemp(join(tmpdir(), 'nginx-test-'))
  const temp = (name: string) => join(prefix, name)
  await writeFile(
    temp('nginx.conf'),
    `daemon off;
master_process off;
pid ${temp('nginx.pid')};
error_log stderr warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${temp('client_body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
${await httpConfig(port)}
}
`
  )
  const child = spawn(BINARY, ['-p', `${prefix}/`, '-c', temp('nginx.conf'), '-e', 'stderr'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let output = ''
  let exited: string | undefined
  child.stderr.on('data', (chunk) => (output += chunk))
  child.once('exit', (code, signal) => (exited = `exited (${code ?? signal})`))
  child.once('error', (error) => (exited = error.message))

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = once(child, 'exit')
      child.kill('SIGTERM')
      await gone
    }
    await rm(prefix, { recursive: true, force: true })
  }

  const deadline = Date.now() + START_TIMEOUT_MS
  while (!(await accepts(port))) {
    if (exited || Date.now() > deadline) {
      await stop()
      throw new Error(`nginx (${BINARY}) did not start: ${exited ?? 'timeout'}\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return { port, url: `http://127.0.0.1:${port}`, stop }
}
