// brk/sbrk move process-wide state that malloc shares: every case runs in its own process.
import { describe, expect, it } from 'vitest'
import { runChild, runChildGrowingHeap, sanitized } from './helpers.js'

describe('brk and sbrk', () => {
  it("run the seed's memory pool: init with sbrk(0), allocate with sbrk(n), reset with brk(mark)", () => {
    // Output is printed at the end: console.log mallocs, and malloc moving the
    // break in between would (rightly) make the guard refuse the reset.
    const child = runChildGrowingHeap(`
      import { brk, sbrk } from 'mman'
      const out = []
      const memorypool = sbrk(0)                      // initmemorypool()
      const a = sbrk(4096), b = sbrk(100)             // myallocate(n)
      new Uint8Array(a).fill(1); new Uint8Array(b).fill(2)
      out.push(['grew', sbrk(0) - memorypool, a.byteLength, b.byteLength])
      const aView = new Uint8Array(a)
      brk(memorypool)                                 // resetmemorypool()
      out.push(['reset', sbrk(0) === memorypool, a.byteLength, b.byteLength, aView.length])
      const c = sbrk(8192)
      out.push(['again', c.byteLength, new Uint8Array(c).every((x) => x === 0 || x === 1)])
      out.push(['negative', sbrk(-8192) === memorypool + 8192n, sbrk(0) === memorypool, c.byteLength])
      const d = brk(memorypool + 4096n)
      out.push(['brk grows', d.byteLength, sbrk(0) - memorypool])
      console.log(out.map((fields) => fields.join(' ')).join('\\n'))
    `)
    expect(child.stderr).toBe('')
    expect(child.stdout).toBe(
      'grew 4196 4096 100\nreset true 0 0 0\nagain 8192 true\nnegative true true 0\nbrk grows 4096 4096\n',
    )
    expect(child.status).toBe(0)
  })

  it.skipIf(sanitized)('refuses to shrink once malloc has moved the break above us, and below our own bytes', () => {
    const child = runChildGrowingHeap(`
      import { brk, sbrk } from 'mman'
      const mark = sbrk(0)
      const mine = sbrk(65536)
      const keep = []
      // Small ArrayBuffers come from malloc's main arena, which grows the break.
      for (let i = 0; i < 20000 && sbrk(0) === mark + 65536n; i++) keep.push(new ArrayBuffer(1024).slice(0))
      console.log('malloc moved the break', sbrk(0) !== mark + 65536n)
      try { brk(mark) } catch (e) { console.log(e.code, e.syscall, e.errno, /malloc/.test(e.message)) }
      try { sbrk(-65536) } catch (e) { console.log(e.code, e.syscall) }
      console.log('still usable', mine.byteLength, new Uint8Array(mine).fill(3)[65535])
      const fresh = sbrk(4096)
      const top = sbrk(0)
      try { brk(top - 8192n) } catch (e) { console.log(e.code, e.name) }
      brk(top - 4096n)
      console.log('own growth shrinks', fresh.byteLength, sbrk(0) === top - 4096n)
    `)
    expect(child.stderr).toBe('')
    expect(child.stdout).toBe(
      'malloc moved the break true\nEBUSY brk -16 true\nEBUSY sbrk\nstill usable 65536 3\nERR_OUT_OF_RANGE RangeError\nown growth shrinks 0 true\n',
    )
    expect(child.status).toBe(0)
  })

  it('validates arguments', () => {
    const child = runChild(`
      import { brk, sbrk } from 'mman'
      for (const call of [() => brk(5), () => brk('x'), () => sbrk(1.5), () => sbrk(NaN), () => sbrk(2 ** 60), () => sbrk('1')]) {
        try { call(); console.log('no error') } catch (e) { console.log(e.name, e.code) }
      }
    `)
    expect(child.stdout).toBe(
      [
        'TypeError ERR_INVALID_ARG_TYPE',
        'TypeError ERR_INVALID_ARG_TYPE',
        'RangeError ERR_OUT_OF_RANGE',
        'RangeError ERR_OUT_OF_RANGE',
        'RangeError ERR_OUT_OF_RANGE',
        'TypeError ERR_INVALID_ARG_TYPE',
        '',
      ].join('\n'),
    )
  })

  // The README's pool pattern while other threads use malloc. Before the break
  // was re-checked right before brk() (with nothing allocating in between),
  // this crashed with a corrupted malloc heap (SIGSEGV, or "malloc assertion
  // failure in sysmalloc") in most runs of either kind.
  it.each(['zlib', 'worker'])('survives shrinking while %s works in the background: each reset succeeds or says EBUSY', (background) => {
    const run = () => runChild(`
      import { brk, sbrk } from 'mman'
      import { gzip } from 'node:zlib'
      import { Worker } from 'node:worker_threads'
      let stop = false, worker
      if ('${background}' === 'zlib') {
        const data = Buffer.alloc(4 << 20, 7)
        const spin = () => { if (!stop) gzip(data, spin) }
        for (let i = 0; i < 4; i++) spin()
      } else {
        worker = new Worker('const keep = []; setInterval(() => { for (let i = 0; i < 2000; i++) keep.push(new ArrayBuffer(512).slice(0)); if (keep.length > 100000) keep.length = 0 }, 1)', { eval: true })
      }
      const outcomes = {}
      const count = (what) => { outcomes[what] = (outcomes[what] ?? 0) + 1 }
      for (const end = Date.now() + 1500; Date.now() < end;) {
        const pool = sbrk(0)
        let block
        try { block = sbrk(65536) } catch (e) { count(e.code); continue }
        new Uint8Array(block).fill(1)
        try { brk(pool); count('reset') } catch (e) { count(e.code) }
        await new Promise((resolve) => setImmediate(resolve))
      }
      stop = true
      await worker?.terminate()
      console.log(JSON.stringify(outcomes))
    `)
    // A process whose break cannot grow at all (see runChildGrowingHeap) resets nothing: take another.
    const grewNothing = (stdout: string) => /"ENOMEM"/.test(stdout) && !/"reset"/.test(stdout)
    let child = run()
    for (let i = 0; i < 4 && grewNothing(child.stdout); i++) child = run()
    const seen = `stdout: ${child.stdout}\nstderr: ${child.stderr}`
    expect(child.signal, seen).toBeNull()
    expect(child.status, seen).toBe(0)
    expect(child.stderr, seen).toBe('')
    const outcomes = JSON.parse(child.stdout) as Record<string, number>
    // A reset refused because malloc got there first (EBUSY), or a pool mark below a new
    // floor (the break moved between sbrk(0) and sbrk(n)), is the guard doing its job.
    expect(Object.keys(outcomes).filter((what) => !['reset', 'EBUSY', 'ERR_OUT_OF_RANGE', 'ENOMEM'].includes(what)), seen).toEqual([])
    if (!sanitized) expect(outcomes.reset, seen).toBeGreaterThan(0)
  })
})
