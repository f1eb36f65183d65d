/**
 * docs/fanout.svg: delivered messages per second against subscriber count
 * for each server in the paced scenario, from bench/results/fanout.json.
 * Hand-written SVG.
 *
 * npm run bench:plot
 */
import { readFile, writeFile } from 'node:fs/promises'
import { ROOT } from './lib/common.ts'

interface Run {
  scenario?: string
  server: string
  n: number
  msgsPerSec: number
}
const results = JSON.parse(await readFile(new URL('bench/results/fanout.json', ROOT), 'utf8'))
// The paced scenario (results from before the burst one have no "scenario")
const runs: Run[] = results.runs.filter((r: Run) => (r.scenario ?? 'paced') === 'paced')
const SERIES = [
  { server: 'ours', label: 'ours (local driver)', color: '#d62728' },
  { server: 'ours-http', label: 'ours (HTTP API)', color: '#ff7f0e' },
  { server: 'soketi', label: 'soketi 1.6 (HTTP API)', color: '#7f7f7f' },
  { server: 'ws', label: 'raw ws (baseline)', color: '#1f77b4' },
  { server: 'socketio', label: 'socket.io 4', color: '#2ca02c' },
  { server: 'transmit', label: 'Transmit 3 (SSE)', color: '#9467bd' },
]

const W = 640
const H = 400
const M = { left: 80, right: 190, top: 40, bottom: 50 }
const counts = [...new Set(runs.map((r) => r.n))].sort((a, b) => a - b)
const maxY = Math.max(...runs.map((r) => r.msgsPerSec)) * 1.1
const step = 10 ** Math.floor(Math.log10(maxY / 4))
const tick = [1, 2, 2.5, 5, 10].map((k) => k * step).find((t) => maxY / t <= 6)!
const x = (n: number) =>
  M.left +
  (counts.length === 1
    ? (W - M.left - M.right) / 2
    : ((Math.log(n) - Math.log(counts[0])) / (Math.log(counts.at(-1)!) - Math.log(counts[0]))) *
      (W - M.left - M.right))
const y = (v: number) => H - M.bottom - (v / maxY) * (H - M.top - M.bottom)
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')

const parts: string[] = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  `<rect width="${W}" height="${H}" fill="white"/>`,
  `<text x="${M.left}" y="22" font-size="14" font-weight="bold">Fan-out: delivered messages/s vs subscribers (${esc(results.node)}, ${results.cores} cores${results.quick ? ', --quick' : ''})</text>`,
]
for (let v = 0; v <= maxY; v += tick) {
  parts.push(
    `<line x1="${M.left}" x2="${W - M.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
    `<text x="${M.left - 8}" y="${y(v) + 4}" text-anchor="end">${Math.round(v / 1000)}k</text>`
  )
}
for (const n of counts) {
  parts.push(
    `<line x1="${x(n)}" x2="${x(n)}" y1="${H - M.bottom}" y2="${H - M.bottom + 5}" stroke="#333"/>`,
    `<text x="${x(n)}" y="${H - M.bottom + 20}" text-anchor="middle">${n.toLocaleString('en-US')}</text>`
  )
}
parts.push(
  `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#333"/>`,
  `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#333"/>`,
  `<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" text-anchor="middle">subscribers on one channel</text>`,
  `<text transform="translate(20 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">delivered messages per second</text>`
)
SERIES.forEach(({ server, label, color }, i) => {
  const points = counts
    .map((n) => runs.find((r) => r.server === server && r.n === n))
    .filter((r): r is Run => Boolean(r))
  if (points.length === 0) return
  parts.push(
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map((p) => `${x(p.n).toFixed(1)},${y(p.msgsPerSec).toFixed(1)}`).join(' ')}"/>`,
    ...points.map(
      (p) =>
        `<circle cx="${x(p.n).toFixed(1)}" cy="${y(p.msgsPerSec).toFixed(1)}" r="4" fill="${color}"><title>${esc(label)}: ${Math.round(p.msgsPerSec)} msgs/s at ${p.n}</title></circle>`
    ),
    `<rect x="${W - M.right + 15}" y="${M.top + 10 + i * 22}" width="14" height="4" fill="${color}"/>`,
    `<text x="${W - M.right + 35}" y="${M.top + 16 + i * 22}">${esc(label)}</text>`
  )
})
parts.push('</svg>')
await writeFile(new URL('docs/fanout.svg', ROOT), parts.join('\n') + '\n')
console.log('plot: wrote docs/fanout.svg')
