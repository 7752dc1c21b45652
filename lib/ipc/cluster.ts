// Handing shared memory to cluster workers, as forkWithMemory() does to
// fork()'s children. cluster.fork() takes only an environment; the stdio a
// worker starts with is the primary's setting. So the regions' fds are put
// into that setting for the one fork, and the setting is put back after it
// (cluster.fork() starts the process before it returns).
import cluster, { type Worker } from 'node:cluster'
import { invalidState } from '../errors.js'
import { options as optionsOf } from '../validate.js'
import { passMemory } from './process.js'
import type { SharedMemory } from './shared-memory.js'

/**
 * cluster.fork() that also passes shared memory regions to the worker, which
 * maps them with inheritedMemory(i), as a forkWithMemory() child does. The
 * primary's other settings (cluster.setupPrimary(): exec, args, silent, stdio's
 * three standard streams) apply as to any worker. Call it again for each
 * worker, a replacement included.
 * @param memory The regions to pass (open SharedMemory objects).
 * @param env Environment variables to add for the worker, as cluster.fork(env) takes them.
 * @returns The cluster Worker.
 * @throws
 * - `Error` `ERR_INVALID_STATE`: this process is a cluster worker (only the primary forks workers), or a region of
 *   `memory` was closed.
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `memory` is not an array of SharedMemory, or `env` is not an object.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: cluster.settings.stdio is not one of fork()'s forms of the three standard
 *   streams.
 * @example
 * ```js
 * import cluster from 'node:cluster'
 * import { SharedMemory, clusterForkWithMemory, inheritedMemory } from 'mman'
 *
 * if (cluster.isPrimary) {
 *   const memory = SharedMemory.create(4096)
 *   for (let i = 0; i < 2; i++) clusterForkWithMemory([memory])
 *   let exited = 0
 *   cluster.on('exit', () => ++exited === 2 && console.log('hits:', memory.int32()[0]))
 * } else {
 *   Atomics.add(inheritedMemory(0).int32(), 0, 1)
 *   cluster.worker.disconnect()
 * }
 * ```
 *
 * ```text
 * hits: 2
 * ```
 */
export function clusterForkWithMemory(memory: SharedMemory[], env?: NodeJS.ProcessEnv): Worker {
  if (!cluster.isPrimary)
    throw invalidState('clusterForkWithMemory() forks workers from the cluster primary; this process is a worker')
  const extraEnv = optionsOf<NodeJS.ProcessEnv>(env, 'env')
  const { stdio, silent } = cluster.settings
  const passing = passMemory(memory, 'memory', stdio, silent, 'cluster.settings.stdio')
  cluster.setupPrimary({ stdio: passing.stdio as typeof stdio })
  try {
    return cluster.fork({ ...extraEnv, ...passing.env })
  } finally {
    cluster.setupPrimary({ stdio })
  }
}
