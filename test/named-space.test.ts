// A named region whose file is sparse (Python's multiprocessing.shared_memory
// only ftruncates it) on a /dev/shm too small for it: openNamed() must say
// ENOSPC, not map it and let the first write be SIGBUS. Each case runs in a
// private mount namespace with a 1 MiB tmpfs over /dev/shm, so the machine's
// own /dev/shm is never touched.
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { repoRoot } from './helpers.js'

const SMALL_SHM = 'mount -t tmpfs -o size=1m tmpfs /dev/shm'
// As root a mount namespace is enough; elsewhere a user namespace maps us to root inside it.
const unshare = [['-m'], ['-r', '-m']].find(
  (args) => spawnSync('unshare', [...args, 'sh', '-c', SMALL_SHM]).status === 0,
)
const hasPython = spawnSync('python3', ['-c', 'from multiprocessing import shared_memory']).status === 0

/** Runs `prepare` (shell) and then `source` (an ES module importing 'mman') with a 1 MiB /dev/shm. */
function withSmallShm(prepare: string, source: string) {
  const result = spawnSync(
    'unshare',
    [...unshare!, 'sh', '-c', `${SMALL_SHM} && ${prepare} && exec "$NODE" --input-type=module -e "$SOURCE"`],
    {
      cwd: repoRoot,
      env: { ...process.env, NODE: process.execPath, SOURCE: source },
      encoding: 'utf8',
      timeout: 60_000,
    },
  )
  return { status: result.status, signal: result.signal, stdout: result.stdout.trim(), stderr: result.stderr }
}

const pythonRegion = (size: number) => `python3 -c '
from multiprocessing import shared_memory, resource_tracker
shm = shared_memory.SharedMemory(name="region", create=True, size=${size})
resource_tracker.unregister(shm._name, "shared_memory")  # leave it for Node to open
'`

const openAndFill = `
import { SharedMemory } from 'mman'
import { statSync } from 'node:fs'
try {
  const memory = SharedMemory.openNamed('region')
  const { size, blocks } = statSync('/dev/shm/region')
  new Uint8Array(memory.buffer).fill(1)
  console.log('filled', size, 'allocated before the first write:', blocks * 512 >= size)
} catch (error) {
  console.log(error.code, error.syscall, error.errno < 0, /no room/.test(error.message))
}`

describe.runIf(unshare !== undefined)('openNamed() of a sparse region on a /dev/shm too small for it', () => {
  it.runIf(hasPython)("is ENOSPC for Python's 8 MiB region on a 1 MiB /dev/shm, not SIGBUS at the first write", () => {
    const child = withSmallShm(pythonRegion(8 * 2 ** 20), openAndFill)
    expect(child.signal).toBe(null)
    expect(child.stderr).toBe('')
    expect(child.stdout).toBe('ENOSPC fallocate true true')
  })

  it.runIf(hasPython)('allocates a Python region that fits: every page is there before it is written', () => {
    const child = withSmallShm(pythonRegion(512 * 1024), openAndFill)
    expect(child.stderr).toBe('')
    expect(child.stdout).toBe(`filled ${512 * 1024} allocated before the first write: true`)
  })

  it('is ENOSPC for any sparse file (truncate(1), shm_open + ftruncate)', () => {
    const child = withSmallShm('truncate -s 8M /dev/shm/region', openAndFill)
    expect(child.signal).toBe(null)
    expect(child.stdout).toBe('ENOSPC fallocate true true')
  })
})
