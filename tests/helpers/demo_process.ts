import { startAppProcess } from './app_process.ts'

/**
 * Runs "npm run demo" (bin/demo.ts, what the README's command runs) on a
 * free port, waits until its page answers, and stops it afterwards
 */
export function startDemo() {
  return startAppProcess(['--import=@poppinss/ts-exec', 'bin/demo.ts'])
}
