// One trial of one zeroing mode: allocate `bytes` and write every byte, timed
// with the minor faults of this thread. Native modes run in the addon's
// kernels; JS modes run here, timed the same way.
import { readFileSync } from 'node:fs'
import { MAP, PROT, mapAnonymous, mmap, munmap } from 'mman'
import { checked, tools } from '../../tools.js'

export interface ZeroingMeasurement {
  ns: number
  minorFaults: number
  anonHugeKiB: number
  mallocUsedMmap?: boolean
}

function anonHugeKiB(): number {
  const match = /AnonHugePages:\s+(\d+) kB/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))
  return match ? Number(match[1]) : -1
}

type JsMode = (bytes: number) => () => void

// Each returns the release step, run after the measurement (until then the
// closure keeps the memory alive).
const JS_MODES: Record<string, JsMode> = {
  'js-arraybuffer': (bytes) => {
    const buffer = new ArrayBuffer(bytes)
    return () => void buffer
  },
  'js-buffer-alloc': (bytes) => {
    const buffer = Buffer.alloc(bytes)
    return () => void buffer
  },
  'js-allocunsafe-fill0': (bytes) => {
    const buffer = Buffer.allocUnsafe(bytes).fill(0)
    return () => void buffer
  },
  'js-mmap-fill1': (bytes) => {
    const buffer = mmap(null, bytes, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)
    new Uint8Array(buffer).fill(1)
    return () => munmap(buffer)
  },
  'js-mapanonymous-populate-fill1': (bytes) => {
    const mapping = mapAnonymous(bytes, { populate: true })
    mapping.bytes().fill(1)
    return () => mapping.unmap()
  },
}

export function zeroingTrial(mode: string, bytes: number): ZeroingMeasurement {
  const jsMode = JS_MODES[mode]
  if (jsMode === undefined) return checked(tools.zeroingTrial(mode, bytes), `zeroing ${mode}`)
  const faults = tools.threadMinorFaults()
  const start = process.hrtime.bigint()
  const release = jsMode(bytes)
  const ns = Number(process.hrtime.bigint() - start)
  const minorFaults = tools.threadMinorFaults() - faults
  const huge = anonHugeKiB()
  release()
  return { ns, minorFaults, anonHugeKiB: huge }
}
