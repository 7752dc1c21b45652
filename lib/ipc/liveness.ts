// Whether the process or thread holding something shared is still alive.
import { native } from '../native.js'

/** The calling thread's id (the pid, on the main thread). */
export const threadId = (): number => native.gettid()

/** True while a task with this id exists (kill(id, 0) does not fail with ESRCH). */
export function isAlive(id: number): boolean {
  try {
    process.kill(id, 0)
    return true
  } catch (error) {
    return (error as { code?: string }).code !== 'ESRCH'
  }
}
