// How the ipc suite's spinning ends notice that the other end stopped
// answering (it died, or never started), without reading a clock per spin.
/** No wait for the other end takes this long unless it stopped answering. */
export const STALL_TIMEOUT_MS = 10_000

/**
 * Called every 65,536 spins of one wait, with what it returned last time (0
 * at first): throws once the wait has lasted STALL_TIMEOUT_MS. Spins read no
 * clock, so a wait that ends quickly costs nothing.
 */
export function stalled(key: string, since: number): number {
  const now = performance.now()
  if (since > 0 && now - since > STALL_TIMEOUT_MS) throw new Error(`${key}: no answer for ${STALL_TIMEOUT_MS / 1000} s`)
  return since > 0 ? since : now
}
