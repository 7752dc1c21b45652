// The shape of a real process pool: one parent and 2 x cores children, each
// with its own pair of transports, every child kept busy with requests at
// once; the parent waits on all of them off the event loop.
import { availableParallelism } from 'node:os'
import { percentile } from './measure.js'
import type { Transport } from './transports.js'

export interface FanoutResult {
  transport: string
  children: number
  requests: number
  requestsPerSecond: number
  p50Us: number
  p99Us: number
}

export const fanoutChildren = () => 2 * availableParallelism()

/** `requests` 64-byte request/reply exchanges with each of `children` peers, all at once. */
export async function fanout(
  name: string,
  make: () => Transport,
  children: number,
  requests: number,
): Promise<FanoutResult> {
  const peers = Array.from({ length: children }, make)
  await Promise.all(peers.map((peer) => peer.start()))
  const message = new Uint8Array(64)
  const latenciesUs: number[] = []
  const serve = async (peer: Transport) => {
    for (let i = 0; i < requests; i++) {
      const start = performance.now()
      await peer.roundTrip(message)
      latenciesUs.push((performance.now() - start) * 1e3)
    }
  }
  // A short warm-up for both sides' JITs, then the measured run.
  await Promise.all(
    peers.map(async (peer) => {
      for (let i = 0; i < Math.min(200, requests / 5); i++) await peer.roundTrip(message)
    }),
  )
  const start = performance.now()
  await Promise.all(peers.map(serve))
  const seconds = (performance.now() - start) / 1e3
  await Promise.all(peers.map((peer) => peer.stop()))
  return {
    transport: name,
    children,
    requests: children * requests,
    requestsPerSecond: (children * requests) / seconds,
    p50Us: percentile(latenciesUs, 0.5),
    p99Us: percentile(latenciesUs, 0.99),
  }
}
