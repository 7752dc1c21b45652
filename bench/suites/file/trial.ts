// One trial of the file suite, in its own process so that its memory use is
// its own: a sequential scan of a cached file, or random 8-byte reads.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs'
import { mapFile } from 'mman'
import { loadMmapIo } from '../peers.js'
import { seededRandom } from '../stats.js'

/** The scan every method uses: count one byte value (memchr under Buffer#indexOf). */
export function countByte(buffer: Buffer, value: number): number {
  let count = 0
  for (let at = buffer.indexOf(value); at !== -1; at = buffer.indexOf(value, at + 1)) count++
  return count
}

export const SCAN_BYTE = 0x0a

function statusKiB(field: string): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))
  return match ? Number(match[1]) : 0
}

const now = () => process.hrtime.bigint()
const msSince = (start: bigint) => Number(now() - start) / 1e6

export interface ScanResult {
  firstMs: number
  secondMs?: number
  count: number
  /** Growth of peak RSS during the trial (file pages mapped count here too). */
  maxRssDeltaMiB: number
  /** Anonymous memory held after the scan: what the method copied. */
  rssAnonDeltaMiB: number
}

export interface RandomResult {
  coldNsPerRead: number
  warmNsPerRead: number
  checksum: number
}

export type FileTrialArgs =
  | { kind: 'scan'; method: string; path: string }
  | { kind: 'random'; method: string; path: string; size: number; reads: number; seed: number }

async function scan(method: string, path: string): Promise<ScanResult> {
  const maxRss0 = process.resourceUsage().maxRSS
  const anon0 = statusKiB('RssAnon')
  let firstMs = 0
  let secondMs: number | undefined
  let count = 0
  let keep: unknown
  const finish = (): ScanResult => ({
    firstMs,
    secondMs,
    count,
    maxRssDeltaMiB: (process.resourceUsage().maxRSS - maxRss0) / 1024,
    rssAnonDeltaMiB: (statusKiB('RssAnon') - anon0) / 1024,
  })
  let start = now()
  switch (method) {
    case 'readFileSync': {
      const data = readFileSync(path)
      count = countByte(data, SCAN_BYTE)
      firstMs = msSince(start)
      keep = data
      break
    }
    case 'readSync': {
      const chunk = Buffer.allocUnsafe(1 << 20)
      const fd = openSync(path, 'r')
      for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0;)
        count += countByte(chunk.subarray(0, n), SCAN_BYTE)
      closeSync(fd)
      firstMs = msSince(start)
      break
    }
    case 'mapFile': {
      const mapping = mapFile(path)
      const bytes = mapping.bytes()
      const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
      count = countByte(view, SCAN_BYTE)
      firstMs = msSince(start)
      start = now()
      countByte(view, SCAN_BYTE)
      secondMs = msSince(start)
      keep = mapping
      break
    }
    case 'mmap-io': {
      const mmapio = await loadMmapIo()
      if (mmapio === undefined) throw new Error('@riaskov/mmap-io is not installed')
      start = now()
      const fd = openSync(path, 'r')
      const view = mmapio.map(fstatSync(fd).size, mmapio.PROT_READ, mmapio.MAP_SHARED, fd)
      closeSync(fd)
      count = countByte(view, SCAN_BYTE)
      firstMs = msSince(start)
      keep = view
      break
    }
    default:
      throw new Error(`unknown scan method ${method}`)
  }
  const result = finish()
  void keep
  return result
}

/** Random 8-byte reads at the same seeded offsets for every method: a first pass (page faults), then a second. */
async function random(method: string, path: string, size: number, reads: number, seed: number): Promise<RandomResult> {
  const next = seededRandom(seed)
  const offsets = Float64Array.from({ length: reads }, () => Math.floor(next() * (size / 8)) * 8)
  let read: (offset: number) => number
  let release = () => {}
  const fd = openSync(path, 'r')
  switch (method) {
    case 'mapFile': {
      const mapping = mapFile(fd)
      const words = new Float64Array(mapping.buffer)
      read = (offset) => words[offset / 8]!
      release = () => mapping.unmap()
      break
    }
    case 'pread': {
      const word = Buffer.alloc(8)
      read = (offset) => (readSync(fd, word, 0, 8, offset), word.readDoubleLE(0))
      break
    }
    case 'mmap-io': {
      const mmapio = await loadMmapIo()
      if (mmapio === undefined) throw new Error('@riaskov/mmap-io is not installed')
      const view = mmapio.map(size, mmapio.PROT_READ, mmapio.MAP_SHARED, fd)
      read = (offset) => view.readDoubleLE(offset)
      break
    }
    default:
      throw new Error(`unknown random-read method ${method}`)
  }
  const pass = () => {
    let checksum = 0
    const start = now()
    for (let i = 0; i < offsets.length; i++) checksum += read(offsets[i]!)
    return { ns: Number(now() - start), checksum }
  }
  const cold = pass()
  const warm = pass()
  release()
  closeSync(fd)
  return { coldNsPerRead: cold.ns / reads, warmNsPerRead: warm.ns / reads, checksum: cold.checksum + warm.checksum }
}

export function fileTrial(args: FileTrialArgs): Promise<ScanResult | RandomResult> {
  return args.kind === 'scan'
    ? scan(args.method, args.path)
    : random(args.method, args.path, args.size, args.reads, args.seed)
}
