// Every conclusion is computed from the rows it cites, direction included:
// fed rows where the peer wins, the words say so.
import { describe, expect, it } from 'vitest'
import { fileConclusions } from '../bench/suites/file/report.js'
import { ipcChart, ipcConclusions, presentIpc, versusProcessSend } from '../bench/suites/ipc/report.js'
import { loopConclusions } from '../bench/suites/loop/report.js'
import { overheadConclusions, presentOverhead } from '../bench/suites/overhead/report.js'
import type { Row } from '../bench/report/rows.js'
import { compareSpreads, relationClause, relationText, verdictClause } from '../bench/report/verdict.js'
import { zeroingConclusions } from '../bench/suites/zeroing/report.js'
import {
  around,
  fileRows,
  ipcLoadRow,
  ipcRow,
  ipcRows,
  loopRows,
  overheadRows,
  pairRow,
  pairRows,
  rendered,
  runConditions,
  shmMissing,
  shmMissingInPair,
  zeroingRows,
} from './bench-fixtures.js'

describe('verdict', () => {
  const spread = (min: number, median: number, max: number) => ({ min, median, max })

  it("says faster or slower when each median lies beyond the other's range, within noise otherwise", () => {
    expect(compareSpreads(spread(1, 2, 3), spread(10, 20, 30))).toMatchObject({
      direction: 'faster',
      factor: 10,
      ratio: 0.1,
    })
    expect(compareSpreads(spread(10, 20, 30), spread(1, 2, 3))).toMatchObject({ direction: 'slower', factor: 10 })
    // Tails overlap, medians do not reach into each other's range: still a difference.
    expect(compareSpreads(spread(40, 46, 64), spread(48, 66, 73)).direction).toBe('faster')
    // A median inside the other's range: within noise.
    expect(compareSpreads(spread(54, 62, 72), spread(48, 66, 73)).direction).toBe('within noise')
  })

  it('turns around for measures where higher is better', () => {
    expect(compareSpreads(spread(10, 20, 30), spread(1, 2, 3), 'higher').direction).toBe('faster')
  })

  it('writes the factor, the direction and, for single measurements, says so', () => {
    expect(relationText(compareSpreads(spread(1, 2, 3), spread(30, 34, 40)))).toBe('17.0× faster')
    expect(relationText(compareSpreads(spread(30, 34, 40), spread(1, 2, 3)))).toBe('17.0× slower')
    expect(relationText(compareSpreads(spread(9, 10, 11), spread(9.5, 10.2, 11)))).toBe('within noise (0.980×)')
    expect(relationText(compareSpreads(spread(2, 2, 2), spread(4, 4, 4)))).toBe('2.00× faster (one measurement each)')
    expect(relationClause('the Channel', 'process.send', compareSpreads(spread(30, 34, 40), spread(1, 2, 3)))).toBe(
      'the Channel is 17.0× slower than process.send',
    )
    expect(verdictClause('A', 'B', compareSpreads(spread(9, 10, 11), spread(9.5, 10.2, 11)))).toBe(
      'A is within noise of B',
    )
  })
})

describe('IPC conclusions', () => {
  it('say the Channel is slower when process.send wins, and the target missed', () => {
    const rows = [ipcRow('channel', 64, 20, 5), ipcRow('process-json', 64, 1.2, 50)]
    const [sentence] = ipcConclusions(rows, [])
    expect(sentence).toContain('the Channel is 16.7× slower than process.send')
    expect(sentence).toContain('target ≥ 30× faster: missed')
    expect(sentence).not.toMatch(/faster than|\blower\b/)
    expect(versusProcessSend(rows[0]!, rows[1]!)).toBe('16.7× slower')
  })

  it('say faster and met when the Channel wins by the target', () => {
    const rows = [ipcRow('channel', 64, 0.75, 50), ipcRow('process-json', 64, 24, 8)]
    expect(ipcConclusions(rows, [])[0]).toMatch(
      /the Channel is 32.0× faster than process\.send \(target ≥ 30× faster: met\)/,
    )
  })

  it("say within noise when the medians fall inside each other's spread", () => {
    const channel = { ...ipcRow('channel', 64, 10, 5), minMs: 0.007, maxMs: 0.014 }
    const json = { ...ipcRow('process-json', 64, 11, 5), minMs: 0.008, maxMs: 0.013 }
    expect(ipcConclusions([channel, json], [])[0]).toMatch(/the Channel is within noise of process\.send .*missed/)
  })

  it('say lower throughput when process.send streams more, and name a missing peer', () => {
    const rows = [ipcRow('channel', 1 << 20, 500, 100), ipcRow('process-json', 1 << 20, 400, 400)]
    const sentences = ipcConclusions(rows, [shmMissing])
    expect(sentences.find((s) => s.startsWith('1 MiB'))).toMatch(/throughput is 4\.00× lower than process\.send's\.$/)
    expect(sentences).toContain(
      'shm-typed-array, polling: not installed: npm i shm-typed-array, so it is not in the comparison.',
    )
  })

  it("hold each of the Channel's targets against the rows of the same pair, run by run, with min/median/max over the runs", () => {
    const sentences = ipcConclusions(pairRows(), [])
    expect(sentences[0]).toBe(
      'In one parent/child pair, blocks of 2000 round trips of 64 B interleaved, the bare spin on one word took 0.110 µs per round trip; ' +
        'C (64 B + a flag) 1.36× [1.33–1.40], the zero-copy ring 1.50× [1.50–1.55], the copying ring 2.50× [1.82–2.50] that of the spin in the same 3 runs. ' +
        'These are the floors: what the hardware and the JS engine allow, with nothing another process writes checked.',
    )
    // Per-run ratios 1.2, 1.4 and 1.3: the median meets ≤ 1.3 exactly; the run at 1.4 does not.
    expect(sentences).toContain(
      "The Channel's send + receiveView took 0.300 µs: 1.30× [1.20–1.40] the minimal copying ring's time over 3 runs (target ≤ 1.3×: met; held in 2 of 3 runs).",
    )
    expect(sentences.find((s) => s.startsWith('Against shm-typed-array'))).toMatch(
      /took 0\.909× \[0\.743–1\.17\] its time over 3 runs \(target < 1×: met; held in 2 of 3 runs\): below 1× is faster\.$/,
    )
    expect(sentences.find((s) => s.startsWith('send + receive'))).toMatch(
      /took 0\.500 µs: 4\.55× \[4\.17–5\.00\] the spin's time over 3 runs \(target ≤ 4×: missed; held in 0 of 3 runs\)\.$/,
    )
    expect(sentences).toContain(
      "The Channel's zero-copy send is not measured in this run (no such row), so its target (≤ 2× the spin) is not checked.",
    )
  })

  it('hold the zero-copy Channel to 2× the spin once its row exists, and say which targets a missing shm-typed-array leaves unchecked', () => {
    const rows = [
      ...pairRows().filter((r) => r.transport !== 'shm-polling'),
      pairRow('channel-zero-copy', [0.2, 0.25, 0.21]),
    ]
    const sentences = ipcConclusions(rows, [shmMissingInPair])
    expect(sentences.find((s) => s.includes('zero-copy send'))).toMatch(
      /took 0\.210 µs: 2\.00× \[1\.91–2\.08\] the spin's time over 3 runs \(target ≤ 2×: met; held in 2 of 3 runs\)\.$/,
    )
    expect(sentences).toContain(
      "shm-typed-array polling: not installed: npm i shm-typed-array, so the Channel's target against it (faster) is not checked.",
    )
  })

  it("say when the pair's ends shared a CPU, and never call a machine idle that was not", () => {
    const shared = pairRows().map((r) => ({
      ...r,
      conditions: (r.conditions as object[]).map((run, i) => ({ ...run, sameCpuShare: i === 1 ? 0.9 : 0 })),
    }))
    expect(ipcConclusions(shared, []).find((s) => s.includes('shared one CPU'))).toMatch(
      /^In 1 of the pair's 3 runs the two ends shared one CPU in most samples/,
    )
    expect(rendered(presentIpc(pairRows(), [])).markdown).toContain(
      '### The floors and the Channel in one parent/child pair (64 B each way), idle machine\n',
    )
    // The pair's runs are its processes: their samples pool over the transports (here 2.5 in one of seven, 0.05 in the others: 0.4 on average).
    const busy = pairRows().map((r) =>
      r.transport === 'spin' ? pairRow('spin', [0.1, 0.12, 0.11], { othersRunnableMean: 2.5 }) : r,
    )
    const markdown = rendered(presentIpc(busy, [])).markdown
    expect(markdown).toContain(
      '### The floors and the Channel in one parent/child pair (64 B each way), busy machine: other tasks runnable in 3 of 3 runs (up to 0.40 on average)\n',
    )
    expect(markdown).not.toContain('idle machine')
  })

  it('say how many blocks each run measured, and why when a run stopped at its time budget', () => {
    expect(rendered(presentIpc(pairRows(), [])).markdown).toContain(
      'Blocks of 2000 round trips, each block timed whole, every transport in turn in the same two processes, 21 blocks per run; 3 runs, a fresh pair each.',
    )
    const cut = pairRows().map((r) => ({ ...r, runBlocks: [21, 3, 21] }))
    expect(rendered(presentIpc(cut, [])).markdown).toContain(
      '3–21 blocks per run (a run stops at its time budget: the machine was busy); 3 runs',
    )
  })

  it('say "not recorded", not "idle", for rows from a results file written before conditions were kept', () => {
    const legacy = ipcRows().map(({ conditions: _, ...row }) => row)
    const { markdown, svg } = rendered(presentIpc(legacy, []))
    expect(markdown).toContain('### 64 B messages, each transport in a pair of its own, machine load not recorded\n')
    expect(markdown).toContain('Machine load, placement and wait engines were not recorded for these rows.')
    expect(markdown + svg).not.toContain('idle machine')
    expect(markdown).toMatch(/\| mman Channel \| 3\.00 \|.*\| – \| – \|\n/)
  })

  it('show where the ends sat and which wait engine each used, per row and per loaded run', () => {
    const { markdown } = rendered(presentIpc(ipcRows(), []))
    expect(markdown).toMatch(
      /\| mman Channel, both ends async \(io_uring\) \| 40\.0 \|.*\| 0 % \| io_uring \/ io_uring \|\n/,
    )
    expect(markdown).toMatch(
      /\| mman Channel, both ends async \(waiter thread\) \| 60\.0 \|.*\| 0 % \| thread \/ thread \|\n/,
    )
    expect(markdown).toMatch(/\| worker postMessage \| 3\.00|\| worker postMessage \| 35\.0 \|.*\| – \| – \|\n/)
    expect(markdown).toMatch(
      /\| minimal copying ring \(Lamport SPSC, copy in and out\) \| 0\.250 \| 0\.200–0\.300 \| 2\.50× \[1\.82–2\.50\] \| 1\.00× \[1\.00–1\.00\] \| 0 % \| – \|/,
    )
    expect(markdown).toContain(
      'Over these 3 runs (pairs of processes): 1-minute load average 0.10 before and 1.9 after',
    )
    const placed = rendered(
      presentIpc(
        [
          ipcLoadRow('channel', [20, 1031, 25], [90, 2000, 99], [0, 1, 0.25]),
          ipcLoadRow('process-json', [40, 28, 45], [150, 160, 170]),
        ],
        [],
      ),
    ).markdown
    expect(placed).toMatch(
      /\| 2 \| 1031 \| 2000 \| 100 \| 28\.0 \| 160 \| 0 \| no \|\n\| 3 \| 25\.0 \| 99\.0 \| 25 \| 45\.0 \| 170 \| 0 \| yes \|/,
    )
  })

  it('compare the Channel on its two wait engines', () => {
    const sentence = ipcConclusions(ipcRows(), []).find((s) =>
      s.startsWith('With both ends awaiting receiveAsync(), a 64-byte'),
    )
    expect(sentence).toMatch(
      /40\.0 µs \(p99 320\) on the default engine \(it was: io_uring\) and 60\.0 µs \(p99 480\) with MMAN_NO_IO_URING=1 \(it was: thread\): the default engine is 1\.50× faster than the waiter thread/,
    )
  })

  it("count, under load, the runs where the Channel's median and p99 were no worse than process.send's", () => {
    const every = ipcConclusions(
      [ipcLoadRow('channel', [20, 22, 25], [90, 95, 99]), ipcLoadRow('process-json', [40, 41, 45], [150, 160, 170])],
      [],
    )
    expect(every.find((s) => s.startsWith('With one busy'))).toMatch(
      /in 3 of 3 runs and its p99 in 3 of 3 \(target: every run, both: met\)/,
    )
    const one = ipcConclusions(
      [
        ipcLoadRow('channel', [20, 1031, 25], [90, 2000, 99], [0, 1, 0]),
        ipcLoadRow('process-json', [40, 28, 45], [150, 160, 170]),
      ],
      [],
    )
    expect(one.find((s) => s.startsWith('With one busy'))).toMatch(
      /in 2 of 3 runs and its p99 in 2 of 3 \(target: every run, both: missed; missed in run 2 \(ends on one CPU\)\).*ratio 0\.500–36\.8/,
    )
    const engines = ipcConclusions(ipcRows(), []).find((s) =>
      s.startsWith('With both ends awaiting receiveAsync() under'),
    )
    expect(engines).toBe(
      "With both ends awaiting receiveAsync() under the same load, through the default engine its median was at most process.send's in 3 of 3 runs and its p99 in 3 of 3; " +
        "through the waiter thread its median was at most process.send's in 2 of 3 runs and its p99 in 2 of 3.",
    )
  })

  it('hold a waiting Channel receiver to 2 % of one CPU', () => {
    const idle = (cpuMs: number): Row => ({
      suite: 'ipc',
      scenario: 'idle-cpu',
      mode: 'channel waiting for nothing',
      transport: 'channel',
      reps: 1,
      minMs: cpuMs,
      medianMs: cpuMs,
      maxMs: cpuMs,
      cpuMs,
      wallMs: 1000,
    })
    expect(ipcConclusions([idle(5.5)], [])[0]).toBe(
      'Waiting 1000 ms for nothing cost a Channel receiver 5.50 ms of CPU, 0.55 % of one CPU (limit ≤ 2.0 %: held): it spins briefly, then sleeps on the futex.',
    )
    expect(ipcConclusions([idle(30)], [])[0]).toMatch(/3\.0 % of one CPU \(limit ≤ 2\.0 %: exceeded\)/)
  })

  it('present the load runs, the fan-out and the idle CPU from the rows', () => {
    const presentation = presentIpc(ipcRows(), [])
    expect(rendered(presentation).markdown).toMatch(/\| 2 \| 22\.0 \| 95\.0 \| 0 \| 41\.0 \| 160 \| 0 \| yes \|/)
    expect(rendered(presentation).markdown).toMatch(/\| mman Channel \| 25000 \| 50\.0 \| 500 \| 1\.39× \|/)
    expect(
      presentation.conclusions.some((s) => s.includes('handled 25000 requests/s through Channels against 18000')),
    ).toBe(true)
    expect(
      presentation.conclusions.some((s) =>
        s.startsWith(
          'Waiting 1000 ms for nothing cost a Channel receiver 3.00 ms of CPU, 0.30 % of one CPU (limit ≤ 2.0 %: held)',
        ),
      ),
    ).toBe(true)
  })

  it('show a missing peer as a visible row in every table and in the chart', () => {
    const rows = ipcRows().filter((r) => r.transport !== 'shm-polling')
    const presentation = presentIpc(rows, [shmMissing, shmMissingInPair])
    expect(
      rendered(presentation).markdown.match(/\| shm-typed-array, polling \| not installed: npm i shm-typed-array \|/g),
    ).toHaveLength(4)
    expect(rendered(presentation).svg.match(/not installed: npm i shm-typed-array/g)).toHaveLength(4)
  })

  it('chart the pair and every size, and call the machine what the rows say it was', () => {
    expect(ipcChart(ipcRows(), [])).toContain('The peer echoes each message back; idle machine')
    const busy = ipcRows().map((r) =>
      r.scenario === 'idle' && r.transport === 'worker'
        ? { ...r, conditions: [runConditions({ othersRunnableMean: 2 })] }
        : r,
    )
    const svg = ipcChart(busy, [])
    expect(svg).toContain('busy machine: other tasks runnable in 3 of 14 runs (up to 2.0 on average)')
    expect(svg).not.toContain('idle machine')
    expect(svg).toContain('64 B, all in one parent/child pair (line: fastest to slowest run)')
  })
})

describe('zeroing conclusions', () => {
  const byMode = (rows: Row[], mode: string, change: Partial<Row>) =>
    rows.map((r) => (r.mode === mode ? { ...r, ...change } : r))

  it('say within noise, the same faults, and "not reproduced" for the blog when malloc is mmap', () => {
    const sentences = zeroingConclusions(zeroingRows())
    expect(sentences[0]).toMatch(
      /^At 100 MiB glibc's malloc took the block straight from mmap in all 15 trials.*A is within noise of B — the same page faults, the same time\.$/,
    )
    expect(sentences.find((s) => s.includes('seed post'))).toMatch(
      /not reproduced: the two routes are within noise of each other/,
    )
  })

  it('say slower when malloc loses, and "reproduced" when the blog program\'s malloc is slower', () => {
    let rows = byMode(zeroingRows(), 'malloc-memset0', around(90))
    rows = byMode(rows, 'seed-program-malloc', around(90))
    const sentences = zeroingConclusions(rows)
    expect(sentences[0]).toMatch(/A is slower than B\.$/)
    expect(sentences.find((s) => s.includes('seed post'))).toMatch(
      /reproduced: its malloc route is 1\.48× slower here too\.$/,
    )
  })

  it('say what E got when THP gave no huge pages, and whether shared memory was slower', () => {
    let rows = byMode(zeroingRows(), 'thp-memset1', { ...around(60), anonHugeMiB: 0, minorFaults: 25600 })
    rows = byMode(rows, 'shared-anon-memset1', around(40))
    const sentences = zeroingConclusions(rows)
    expect(sentences.find((s) => s.startsWith('MADV_HUGEPAGE'))).toMatch(
      /got no huge pages here.*E is within noise of B\.$/,
    )
    expect(sentences.find((s) => s.startsWith('Shared'))).toMatch(/G is faster than B\.$/)
  })

  it('claim faults set the time only when B is clearly slower than F', () => {
    const close = byMode(zeroingRows(), 'prefaulted-memset', around(58))
    const sentence = zeroingConclusions(close).find((s) => s.startsWith('Writing the same'))!
    expect(sentence).toMatch(/B is within noise of F/)
    expect(sentence).not.toContain('page faults, not memory bandwidth')
    expect(zeroingConclusions(zeroingRows()).find((s) => s.startsWith('Writing the same'))).toContain(
      'page faults, not memory bandwidth, set its time',
    )
  })
})

describe('file, overhead and loop conclusions', () => {
  it('say the mapping is slower when read() wins the scan, and name a failed peer case', () => {
    const rows = fileRows().map((r) => (r.mode === 'scan-mapFile' ? { ...r, ...around(400), gbPerS: 2.7 } : r))
    const sentences = fileConclusions(rows, [
      {
        suite: 'file',
        mode: 'random-mmap-io',
        label: '@riaskov/mmap-io',
        sizeMiB: 4096,
        status: 'failed',
        detail: 'mmap failed, 22',
      },
    ])
    expect(sentences[0]).toMatch(/the mapping is 1\.90× slower than read\(\)\.$/)
    expect(sentences).toContain('@riaskov/mmap-io could not do the 4096 MiB case: mmap failed, 22.')
    const missing = ['scan-mmap-io', 'random-mmap-io'].map((mode) => ({
      suite: 'file',
      mode,
      label: '@riaskov/mmap-io',
      status: 'not installed' as const,
      detail: 'npm i @riaskov/mmap-io',
    }))
    expect(fileConclusions(fileRows(), missing).filter((s) => s.includes('not installed'))).toEqual([
      '@riaskov/mmap-io: not installed: npm i @riaskov/mmap-io, so it is not in the comparison.',
    ])
  })

  it("hold the object layer to 1.7× and the syscall layer to 2.5× the C loop (issue 19's targets)", () => {
    const costing = (object: number, syscall: number) =>
      overheadRows().map((r) =>
        r.mode === 'object-layer' || r.mode === 'syscall-layer'
          ? { ...r, vsCMedian: r.mode === 'object-layer' ? object : syscall }
          : r,
      )
    const verdicts = (rows: Row[]) =>
      overheadConclusions(rows, [])
        .filter((s) => s.includes('of the C loop per pair'))
        .map((s) => /\(target ≤ ([\d.]+)×: (\w+)\)/.exec(s)?.slice(1).join(' '))
    expect(verdicts(costing(1.7, 2.5))).toEqual(['1.7 met', '2.5 met'])
    expect(verdicts(costing(1.71, 2.51))).toEqual(['1.7 missed', '2.5 missed'])
  })

  it('say mman beats mmap-io when it does, and list koffi as not installed', () => {
    const rows = overheadRows().map((r) =>
      r.mode === 'object-layer' ? { ...r, ...around(0.004), nsPerPair: 4000 } : r,
    )
    const koffi = {
      suite: 'overhead',
      mode: 'koffi',
      label: 'libc mmap + munmap through koffi',
      status: 'not installed' as const,
      detail: 'npm i koffi',
    }
    const sentences = overheadConclusions(rows, [koffi])
    expect(sentences.find((s) => s.startsWith('@riaskov'))).toMatch(
      /mman's object layer is 1\.40× faster than mmap-io \(met\); mman's syscall layer is 1\.96× slower than mmap-io \(missed\)/,
    )
    expect(sentences).toContain(
      'libc mmap + munmap through koffi: not installed: npm i koffi, so it is not in the comparison.',
    )
    const presentation = presentOverhead(rows, [koffi])
    expect(rendered(presentation).markdown).toContain(
      '| libc mmap + munmap through koffi | not installed: npm i koffi | – |',
    )
    expect(rendered(presentation).svg).toContain('not installed: npm i koffi')
  })

  it('say the loop target was missed when the async p99 is over 20 ms', () => {
    expect(loopConclusions(loopRows(25))[0]).toMatch(/p99 delay was 25\.0 ms \(target < 20 ms: missed\)/)
    expect(loopConclusions(loopRows(0.8))[0]).toMatch(/target < 20 ms: met/)
  })
})
