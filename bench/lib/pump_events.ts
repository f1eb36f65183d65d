/**
 * The publishing loop the fan-out and cluster benchmarks share: publishes
 * warm-up + measured events and counts the load generator's acks (one per
 * event once every subscriber has it), until all are delivered.
 */
import type { ChildProcess } from 'node:child_process'
import { now } from './common.ts'

export interface PumpOptions {
  /** The load generator, which sends { type: 'ack' } once an event reached every subscriber */
  child: ChildProcess
  /** Events sent first and not measured */
  warm: number
  /** Warm-up + measured events */
  total: number
  /**
   * paced: at most "window" events in flight, each publish awaited, and
   * with a rate no faster than "rate" events per second; burst: "burst"
   * events issued back to back with one timestamp, the next burst once all
   * are delivered
   */
  pace: { window: number; rate?: number } | { burst: number }
  /** Publishes event "id", stamped with "t" (ms, `now()`); a promise is awaited */
  publish: (id: number, t: number) => unknown
  /** Called once, when the warm-up is delivered and before the first measured event */
  onMeasureStart: () => void
  /** Prefixes the error of a stalled run */
  label?: string
}

/** Resolves once every event is delivered; rejects when a publish fails or after 300 s */
export function pumpEvents({
  child,
  warm,
  total,
  pace,
  publish,
  onMeasureStart,
  label,
}: PumpOptions) {
  let next = 0
  let acked = 0
  let measuring = false
  /** With a rate, event i is due at origin + i / rate */
  let origin = now()
  const startMeasuring = () => {
    measuring = true
    onMeasureStart()
  }
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${label ? `${label}: ` : ''}stalled at ${acked}/${total}`)),
      300_000
    )
    // Paced: emits one at a time, each awaited as an app awaits "broadcast.emit"
    let pumping = false
    let waiting = false
    const pump = async (window: number, rate?: number) => {
      if (pumping) return
      pumping = true
      try {
        while (next < total && next - acked < window) {
          if (next === warm && acked < warm) break
          if (rate && next === warm && !measuring) origin = now() - (warm * 1000) / rate
          const wait = rate ? origin + (next * 1000) / rate - now() : 0
          if (wait > 0.1) {
            if (!waiting) {
              waiting = true
              setTimeout(() => {
                waiting = false
                void pump(window, rate)
              }, wait)
            }
            break
          }
          if (next === warm) startMeasuring()
          const id = next++
          await publish(id, now())
        }
      } catch (error) {
        reject(error)
      } finally {
        pumping = false
      }
    }
    // Burst: every event issued before any is awaited, one timestamp for all
    const burst = (size: number) => {
      if (next === warm) startMeasuring()
      const t = now()
      const sends = []
      for (const end = Math.min(total, next + size); next < end;) {
        sends.push(publish(next++, t))
      }
      Promise.all(sends).catch(reject)
    }
    const emit = 'burst' in pace ? () => burst(pace.burst) : () => void pump(pace.window, pace.rate)
    child.on('message', (message: any) => {
      if (message?.type !== 'ack') return
      acked++
      if (acked === total) {
        clearTimeout(timer)
        resolve()
      } else if (!('burst' in pace) || acked === next) emit()
    })
    emit()
  })
}
