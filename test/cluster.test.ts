// clusterForkWithMemory(): cluster workers get shared memory as forkWithMemory()
// children do, and map it with inheritedMemory(). A cluster primary must be a
// file of its own (workers run process.argv[1] again), so each case is one.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { clusterForkWithMemory, SharedMemory } from '../lib/index.js'
import { repoRoot, tempDir, thrown } from './helpers.js'

const { dir, cleanup } = tempDir()
afterAll(cleanup)

/** Runs `source` as a cluster program (primary and workers), importing mman as `m`; returns what the primary printed as JSON. */
function runCluster(name: string, source: string): unknown {
  const path = join(dir, `${name}.mjs`)
  const mman = pathToFileURL(join(repoRoot, 'dist/lib/index.js')).href
  writeFileSync(
    path,
    `import cluster from 'node:cluster'\nimport { once } from 'node:events'\nimport * as m from '${mman}'\n${source}`,
  )
  const child = spawnSync(process.execPath, [path], { encoding: 'utf8', timeout: 120_000 })
  expect(child.stderr).toBe('')
  expect(child.status).toBe(0)
  return JSON.parse(child.stdout)
}

describe('clusterForkWithMemory()', () => {
  it('hands a region to every worker: 4 workers add 100,000 each with Atomics, the primary reads 400,000', () => {
    const result = runCluster(
      'count',
      `
if (cluster.isPrimary) {
  const memory = m.SharedMemory.create(4096)
  const workers = [0, 1, 2, 3].map(() => m.clusterForkWithMemory([memory], { ROUNDS: '100000' }))
  const codes = await Promise.all(workers.map(async (worker) => (await once(worker, 'exit'))[0]))
  console.log(JSON.stringify({ total: memory.int32()[0], codes }))
} else {
  const memory = m.inheritedMemory(0)
  const counts = memory.int32()
  for (let i = 0; i < Number(process.env.ROUNDS); i++) Atomics.add(counts, 0, 1)
  memory.close()
  process.exit(0)
}`,
    )
    expect(result).toEqual({ total: 400_000, codes: [0, 0, 0, 0] })
  })

  it("keeps the primary's own settings, puts its stdio back after each fork, and passes several regions in order", () => {
    const result = runCluster(
      'settings',
      `
if (cluster.isPrimary) {
  cluster.setupPrimary({ silent: true, args: ['from-settings'] })
  const first = m.SharedMemory.create(4096)
  const second = m.SharedMemory.create(8192)
  const worker = m.clusterForkWithMemory([first, second], { ROLE: 'mapped' })
  let output = ''
  worker.process.stdout.on('data', (d) => (output += d))
  await once(worker, 'exit')
  const plain = cluster.fork({ ROLE: 'plain' })   // an ordinary fork afterwards gets no region
  let plainOutput = ''
  plain.process.stdout.on('data', (d) => (plainOutput += d))
  await once(plain, 'exit')
  console.log(JSON.stringify({ worker: JSON.parse(output), plain: JSON.parse(plainOutput), stdio: cluster.settings.stdio ?? null, silent: cluster.settings.silent }))
} else if (process.env.ROLE === 'mapped') {
  const sizes = [m.inheritedMemory(0).size, m.inheritedMemory(1).size]
  let refused
  try { m.clusterForkWithMemory([m.inheritedMemory(0)]) } catch (error) { refused = error.code }
  console.log(JSON.stringify({ sizes, argv: process.argv.slice(2), refused }))
  process.exit(0)
} else {
  let code
  try { m.inheritedMemory(0) } catch (error) { code = error.code }
  console.log(JSON.stringify({ code }))
  process.exit(0)
}`,
    )
    expect(result).toEqual({
      worker: { sizes: [4096, 8192], argv: ['from-settings'], refused: 'ERR_INVALID_STATE' },
      plain: { code: 'ERR_INVALID_ARG_VALUE' },
      stdio: null,
      silent: true,
    })
  })

  it('refuses bad arguments before forking anything', () => {
    const memory = SharedMemory.create(4096)
    expect(thrown(() => clusterForkWithMemory(memory as never)).code).toBe('ERR_INVALID_ARG_TYPE')
    expect(thrown(() => clusterForkWithMemory([{}] as never)).code).toBe('ERR_INVALID_ARG_TYPE')
    expect(thrown(() => clusterForkWithMemory([memory], 'env' as never)).code).toBe('ERR_INVALID_ARG_TYPE')
    memory.close()
    expect(thrown(() => clusterForkWithMemory([memory])).code).toBe('ERR_INVALID_STATE') // closed: no fd to pass
  })

  it('refuses a primary stdio setting it cannot add the regions to', () => {
    const result = runCluster(
      'bad-stdio',
      `
cluster.setupPrimary({ stdio: ['inherit', 'inherit', 'inherit', 'ipc', 'pipe'] })
let code
try { m.clusterForkWithMemory([m.SharedMemory.create(4096)]) } catch (error) { code = error.code }
console.log(JSON.stringify({ code, workers: Object.keys(cluster.workers).length }))`,
    )
    expect(result).toEqual({ code: 'ERR_INVALID_ARG_VALUE', workers: 0 })
  })
})
