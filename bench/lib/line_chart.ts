/**
 * A line chart as hand-written SVG: series of points over a logarithmic
 * x axis (counts of subscribers or connections), one legend entry each
 */
export interface Series {
  label: string
  color: string
  /** Drawn dashed (the burst scenario next to the paced one) */
  dashed?: boolean
  points: Array<{ x: number; y: number }>
}

export interface Chart {
  title: string
  xLabel: string
  yLabel: string
  /** How a tick of the y axis reads */
  yTick: (value: number) => string
  /** How a point's value reads in its tooltip */
  describe: (x: number, y: number) => string
  series: Series[]
}

const W = 680
const H = 400
const M = { left: 80, right: 230, top: 40, bottom: 50 }
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')

/** A tick step of 1, 2, 2.5 or 5 times a power of ten: at most six ticks */
function tickStep(max: number) {
  const step = 10 ** Math.floor(Math.log10(max / 4))
  return [1, 2, 2.5, 5, 10].map((k) => k * step).find((t) => max / t <= 6)!
}

export function lineChart({ title, xLabel, yLabel, yTick, describe, series }: Chart) {
  const drawn = series.filter((s) => s.points.length > 0)
  const xs = [...new Set(drawn.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b)
  const maxY = Math.max(...drawn.flatMap((s) => s.points.map((p) => p.y))) * 1.1
  const tick = tickStep(maxY)
  const span = W - M.left - M.right
  const x = (v: number) =>
    M.left +
    (xs.length === 1
      ? span / 2
      : ((Math.log(v) - Math.log(xs[0])) / (Math.log(xs.at(-1)!) - Math.log(xs[0]))) * span)
  const y = (v: number) => H - M.bottom - (v / maxY) * (H - M.top - M.bottom)
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ]
  for (let v = 0; v <= maxY; v += tick) {
    parts.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${M.left - 8}" y="${y(v) + 4}" text-anchor="end">${yTick(v)}</text>`
    )
  }
  for (const v of xs) {
    parts.push(
      `<line x1="${x(v)}" x2="${x(v)}" y1="${H - M.bottom}" y2="${H - M.bottom + 5}" stroke="#333"/>`,
      `<text x="${x(v)}" y="${H - M.bottom + 20}" text-anchor="middle">${v.toLocaleString('en-US')}</text>`
    )
  }
  parts.push(
    `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#333"/>`,
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#333"/>`,
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(20 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`
  )
  drawn.forEach(({ label, color, dashed, points }, i) => {
    const dash = dashed ? ' stroke-dasharray="6 4"' : ''
    const legendY = M.top + 10 + i * 22
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${points.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ')}"/>`,
      ...points.map(
        (p) =>
          `<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="4" fill="${color}"><title>${esc(label)}: ${esc(describe(p.x, p.y))}</title></circle>`
      ),
      `<line x1="${W - M.right + 15}" x2="${W - M.right + 29}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="3"${dash}/>`,
      `<text x="${W - M.right + 35}" y="${legendY + 4}">${esc(label)}</text>`
    )
  })
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}
