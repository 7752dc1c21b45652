// `npm run soak [cycles]`: map and unmap, and map and forget, many times over;
// the VMA count must come back to where it started and RSS must stay bounded.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { MAP, PROT, mapAnonymous, mmap, munmap, regionCounts } from 'mman'

const vmaCount = () => readFileSync('/proc/self/maps', 'utf8').split('\n').length - 1
const rssMiB = () => process.memoryUsage.rss() / 2 ** 20
const gc = (globalThis as { gc?: () => void }).gc
const immediate = () => new Promise((resolve) => setImmediate(resolve))

export interface PhaseResult {
  phase: string
  cycles: number
  seconds: number
  /** Native regions alive (mapped, or awaiting finalization): exact, unlike VMAs, which V8's heap adds too. */
  regionsBefore: number
  regionsAfter: number
  /** Unmapped ranges still reserved because a view of them may be in use (freed when the views are collected). */
  zombiesBefore: number
  zombiesPeak: number
  zombiesAfter: number
  vmasBefore: number
  vmasPeak: number
  vmasAfter: number
  rssBeforeMiB: number
  rssPeakMiB: number
  rssAfterMiB: number
}

async function phase(name: string, cycles: number, body: (i: number) => void): Promise<PhaseResult> {
  const { regions: regionsBefore, reservedRanges: zombiesBefore } = regionCounts()
  const vmasBefore = vmaCount()
  const rssBeforeMiB = rssMiB()
  let vmasPeak = vmasBefore
  let zombiesPeak = zombiesBefore
  let rssPeakMiB = rssBeforeMiB
  const start = performance.now()
  for (let i = 0; i < cycles; i++) {
    body(i)
    if (i % 1000 === 999) {
      vmasPeak = Math.max(vmasPeak, vmaCount())
      zombiesPeak = Math.max(zombiesPeak, regionCounts().reservedRanges)
      rssPeakMiB = Math.max(rssPeakMiB, rssMiB())
      // Let Node run the finalizers the collector queued (as an idle moment would).
      await immediate()
    }
  }
  // Collect until the count settles: what the collector owes must be paid.
  const owed = () => regionCounts().regions > regionsBefore || regionCounts().reservedRanges > zombiesBefore
  for (let i = 0; i < 20 && owed(); i++) {
    gc?.()
    await immediate()
  }
  const { regions: regionsAfter, reservedRanges: zombiesAfter } = regionCounts()
  return {
    phase: name,
    cycles,
    seconds: (performance.now() - start) / 1e3,
    regionsBefore,
    regionsAfter,
    zombiesBefore,
    zombiesPeak,
    zombiesAfter,
    vmasBefore,
    vmasPeak,
    vmasAfter: vmaCount(),
    rssBeforeMiB,
    rssPeakMiB,
    rssAfterMiB: rssMiB(),
  }
}

export async function soak(cycles: number): Promise<PhaseResult[]> {
  const touch = (bytes: Uint8Array) => {
    bytes[0] = 1
    bytes[bytes.length - 1] = 1
  }
  // V8's own heap grows (in VMAs of its own) while the code warms up: let it,
  // unmeasured, so that the phases count mman's mappings only.
  await phase('warm-up', Math.min(cycles, 10_000), () => {
    touch(mapAnonymous(64 * 1024).bytes())
    munmap(mmap(null, 4096, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0))
  })
  return [
    await phase('mapAnonymous + unmap', cycles, () => {
      const mapping = mapAnonymous(64 * 1024)
      touch(mapping.bytes())
      mapping.unmap()
    }),
    await phase('mmap + view + munmap', cycles, () => {
      const buffer = mmap(null, 64 * 1024, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)
      touch(new Uint8Array(buffer))
      munmap(buffer)
    }),
    await phase('view held across unmap and remap', cycles, (i) => {
      const mapping = mapAnonymous(64 * 1024)
      const held = mapping.bytes()
      touch(held)
      mapping.remap(i % 2 === 0 ? 256 * 1024 : 16 * 1024)
      touch(mapping.bytes())
      mapping.unmap()
    }),
    await phase('mapAnonymous, left to the GC', cycles, () => touch(mapAnonymous(64 * 1024).bytes())),
    await phase('mmap, left to the GC', cycles, () => {
      touch(new Uint8Array(mmap(null, 64 * 1024, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)))
    }),
  ]
}

/**
 * A phase holds when every region and reserved range it made is gone again
 * (exact native counts), RSS never grew by 256 MiB, and the VMA count did not
 * grow with the cycles. The VMA count is only a bound, not an equality: V8's
 * old space grows in 256 KiB pages of its own while these loops allocate
 * wrappers (measured: about 100 such VMAs after 100,000 cycles, on Node 20
 * and 24 alike), where a leak of even one VMA in a hundred cycles would add 1,000.
 */
export const held = (r: PhaseResult) =>
  r.regionsAfter <= r.regionsBefore &&
  r.zombiesAfter <= r.zombiesBefore &&
  r.vmasAfter - r.vmasBefore < Math.max(256, r.cycles / 100) &&
  r.rssPeakMiB - r.rssBeforeMiB < 256

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (gc === undefined) {
    process.stderr.write('run with node --expose-gc (npm run soak does)\n')
    process.exit(2)
  }
  const cycles = Number(process.argv[2] ?? 100_000)
  const results = await soak(cycles)
  console.log(
    '| phase | cycles | s | live regions before / after | reserved ranges before / peak / after | VMAs before / peak / after | RSS MiB before / peak / after | held |',
  )
  console.log('|---|---:|---:|---:|---:|---:|---:|---|')
  for (const r of results) {
    console.log(
      `| ${r.phase} | ${r.cycles} | ${r.seconds.toFixed(1)} | ${r.regionsBefore} / ${r.regionsAfter} | ` +
        `${r.zombiesBefore} / ${r.zombiesPeak} / ${r.zombiesAfter} | ${r.vmasBefore} / ${r.vmasPeak} / ${r.vmasAfter} | ` +
        `${r.rssBeforeMiB.toFixed(0)} / ${r.rssPeakMiB.toFixed(0)} / ${r.rssAfterMiB.toFixed(0)} | ${held(r) ? 'yes' : 'NO'} |`,
    )
  }
  process.exitCode = results.every(held) ? 0 : 1
}
