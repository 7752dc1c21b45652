// The unit of every numeric field a suite's rows carry, written into results
// files so that a reader (or `mman bench compare`) never guesses. A run names
// any field missing here on stderr (CI's smoke run shows it).

const UNITS: Record<string, string> = {
  reps: 'repetitions summarized in minMs/medianMs/maxMs',
  minMs: 'ms',
  medianMs: 'ms',
  maxMs: 'ms',
  sizeMiB: 'MiB',
  // zeroing
  minorFaults: 'minor page faults (median)',
  gbPerS: 'GB/s (10^9 bytes per second, at the median)',
  usPerFault: 'µs per minor fault (median time / median faults)',
  vsBMedian: 'time / B (mmap + memset) in the same repetition, median',
  vsBMin: 'time / B in the same repetition, lowest',
  vsBMax: 'time / B in the same repetition, highest',
  anonHugeMiB: 'MiB of AnonHugePages (median)',
  mallocUsedMmapTrials: 'trials in which glibc served malloc with mmap (mallinfo2)',
  vsSeedMmapMedian: 'malloc / mmap time of the seed program in the same repetition, median',
  vsSeedMmapMin: 'malloc / mmap, lowest',
  vsSeedMmapMax: 'malloc / mmap, highest',
  // file
  speedVsReadFileSync: 'readFileSync time / this time, paired per repetition, median',
  speedVsReadFileSyncMin: 'readFileSync time / this time, lowest',
  speedVsReadFileSyncMax: 'readFileSync time / this time, highest',
  maxRssDeltaMiB: 'MiB of peak RSS growth (median)',
  rssAnonDeltaMiB: 'MiB of RssAnon growth (median)',
  reads: 'random reads per repetition',
  coldNsPerRead: 'ns per read, first pass (median)',
  coldNsPerReadMin: 'ns per read, first pass (lowest)',
  coldNsPerReadMax: 'ns per read, first pass (highest)',
  warmNsPerRead: 'ns per read, second pass (median)',
  warmSpeedVsPread: 'pread time / this time, second pass, paired, median',
  warmSpeedVsPreadMin: 'pread time / this time, second pass, lowest',
  warmSpeedVsPreadMax: 'pread time / this time, second pass, highest',
  coldSpeedVsPread: 'pread time / this time, first pass, paired, median',
  coldSpeedVsPreadMin: 'pread time / this time, first pass, lowest',
  coldSpeedVsPreadMax: 'pread time / this time, first pass, highest',
  // overhead
  iterations: 'mmap + munmap pairs per repetition',
  nsPerPair: 'ns per mmap + munmap pair (median)',
  vsCMedian: 'time / the C loop in the same repetition, median',
  vsCMin: 'time / the C loop, lowest',
  vsCMax: 'time / the C loop, highest',
  // loop
  p99Ms: 'ms of event-loop delay, 99th percentile',
  workMs: 'ms the work took',
  // ipc
  messageBytes: 'bytes per message',
  roundTrips: 'round trips timed',
  roundTripMedianUs: 'µs per round trip (median)',
  roundTripP99Us: 'µs per round trip (99th percentile)',
  roundTripMinUs: 'µs, fastest round trip',
  roundTripMaxUs: 'µs, slowest round trip',
  throughputMBps: 'MB/s (10^6 bytes per second) streamed one way (median over runs)',
  runs: 'fresh process pairs measured',
  roundTripsPerBlock: 'round trips per timed block (the rows measured in one pair)',
  children: 'children served at once',
  requests: 'requests in all',
  requestsPerSecond: 'requests per second, all children together',
  p50Us: 'µs per request (median)',
  p99Us: 'µs per request (99th percentile)',
  cpuMs: 'ms of CPU time the waiting side used',
  wallMs: 'ms the waiting side waited',
}

/** The units of the numeric fields present in `rows`; fields missing from UNITS are listed as unknown. */
export function unitsOf(rows: readonly Record<string, unknown>[]): {
  units: Record<string, string>
  unknown: string[]
} {
  const units: Record<string, string> = {}
  const unknown = new Set<string>()
  for (const row of rows) {
    for (const [field, value] of Object.entries(row)) {
      if (typeof value !== 'number') continue
      if (Object.hasOwn(UNITS, field)) units[field] = UNITS[field]!
      else unknown.add(field)
    }
  }
  return { units, unknown: [...unknown] }
}
