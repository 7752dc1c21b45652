// Named regions shared with Python's multiprocessing.shared_memory: both use
// /dev/shm/<name>, so SharedMemory(name='x') in Python is openNamed('x') here.
// Python before 3.13 registers even an attached region with its resource
// tracker, which unlinks it when that Python process exits; the script
// unregisters it (Python 3.13: SharedMemory(..., track=False)).
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { SharedMemory } from '../lib/index.js'

const python = spawnSync('python3', ['-c', 'from multiprocessing import shared_memory'], { encoding: 'utf8' })
const hasPython = python.status === 0

describe.runIf(hasPython)('regions shared with Python (multiprocessing.shared_memory)', () => {
  it('a region Python created opens with openNamed(): numbers written on each side are read on the other', async () => {
    const name = `mman-py-${process.pid}`
    const py = spawn(
      'python3',
      [
        '-c',
        `
import struct, sys
from multiprocessing import shared_memory
shm = shared_memory.SharedMemory(name=${JSON.stringify(name)}, create=True, size=4096)
struct.pack_into('<4i', shm.buf, 0, 1, 2, 3, 42)
print('ready', flush=True)
sys.stdin.readline()
print(*struct.unpack_from('<2d', shm.buf, 64), flush=True)
shm.close()
shm.unlink()
`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    )
    let out = ''
    py.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
    while (!out.includes('ready')) await once(py.stdout, 'data')
    const memory = SharedMemory.openNamed(name)
    expect(Array.from(memory.int32(0, 4))).toEqual([1, 2, 3, 42])
    new Float64Array(memory.buffer, 64, 2).set([0.5, Math.PI])
    memory.close()
    py.stdin.end('go\n')
    await once(py, 'exit')
    expect(out.trim().split('\n').pop()).toBe(`0.5 ${Math.PI}`)
    expect(existsSync(`/dev/shm/${name}`)).toBe(false)
  })

  it('a region createNamed() made opens in Python by the same name', () => {
    const name = `mman-node-${process.pid}`
    const memory = SharedMemory.createNamed(name, 4096)
    try {
      memory.int32(0, 3).set([7, 8, 9])
      const py = spawnSync(
        'python3',
        [
          '-c',
          `
import struct
from multiprocessing import shared_memory, resource_tracker
shm = shared_memory.SharedMemory(name=${JSON.stringify(name)})
resource_tracker.unregister(shm._name, 'shared_memory')  # not Python's to unlink
print(*struct.unpack_from('<3i', shm.buf, 0))
struct.pack_into('<i', shm.buf, 12, 1000)
shm.close()
`,
        ],
        { encoding: 'utf8' },
      )
      expect(py.stderr).toBe('')
      expect(py.stdout.trim()).toBe('7 8 9')
      expect(memory.int32()[3]).toBe(1000)
      expect(existsSync(`/dev/shm/${name}`)).toBe(true)
    } finally {
      memory.close()
      SharedMemory.unlink(name)
    }
  })
})
