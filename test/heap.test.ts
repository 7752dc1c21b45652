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
  it.each(['zlib', 'worker'])(
    'survives shrinking while %s works in the background: each reset succeeds or says EBUSY',
    (background) => {
      const run = () =>
        runChild(`
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
      expect(
        Object.keys(outcomes).filter((what) => !['reset', 'EBUSY', 'ERR_OUT_OF_RANGE', 'ENOMEM'].includes(what)),
        seen,
      ).toEqual([])
      if (!sanitized) expect(outcomes.reset, seen).toBeGreaterThan(0)
    },
  )

  // glibc's sbrk() reads the break, then sets it, and the main thread always
  // allocates from malloc's main arena, which moves the break under its own
  // lock: a worker growing the heap was handed malloc's bytes (SIGSEGV in 3 of
  // 3 processes before the break was confined to the main thread).
  it('refuses to move the break from a worker while the main thread allocates: no signal, EBUSY (5 processes)', () => {
    for (let round = 0; round < 5; round++) {
      const child = runChild(`
        import { Worker } from 'node:worker_threads'
        const worker = new Worker(\`
          Promise.all([import('mman'), import('node:worker_threads')]).then(([{ sbrk, brk }, { parentPort }]) => {
            const outcomes = {}
            const count = (what) => { outcomes[what] = (outcomes[what] ?? 0) + 1 }
            for (const end = Date.now() + 400; Date.now() < end;) {
              const mark = sbrk(0)
              try { new Uint8Array(sbrk(65536)).fill(1); count('grew') } catch (e) { count('grow ' + e.code) }
              try { sbrk(-4096); count('shrank') } catch (e) { count('shrink ' + e.code) }
              try { brk(mark - 4096n); count('reset') } catch (e) { count('brk ' + e.code) }
              try { brk(mark + 4096n); count('brk grew') } catch (e) { count('brk grow ' + e.code) }
            }
            parentPort.postMessage(outcomes)
          })\`, { eval: true })
        let outcomes
        worker.once('message', (m) => { outcomes = m })
        const exited = new Promise((resolve) => worker.once('exit', resolve))
        const keep = []
        while (outcomes === undefined) {
          for (let i = 0; i < 2000; i++) keep.push(Buffer.alloc(512, 1))
          if (keep.length > 40000) keep.length = 0
          await new Promise((resolve) => setImmediate(resolve))
        }
        await exited
        console.log(JSON.stringify(outcomes))
      `)
      const seen = `stdout: ${child.stdout}\nstderr: ${child.stderr}`
      expect(child.signal, seen).toBeNull()
      expect(child.status, seen).toBe(0)
      expect(Object.keys(JSON.parse(child.stdout)).sort(), seen).toEqual([
        'brk EBUSY',
        'brk grow EBUSY',
        'grow EBUSY',
        'shrink EBUSY',
      ])
    }
  })

  it('says why a worker may not move the break, and still reads it', () => {
    const child = runChild(`
      import { Worker } from 'node:worker_threads'
      const worker = new Worker(\`
        Promise.all([import('mman'), import('node:worker_threads')]).then(([{ sbrk }, { parentPort }]) => {
          try { sbrk(4096) } catch (e) { parentPort.postMessage([typeof sbrk(0), e.code, e.errno, e.syscall, /main thread/.test(e.message)]) }
        })\`, { eval: true })
      console.log(JSON.stringify(await new Promise((resolve) => worker.once('message', resolve))))
    `)
    expect(child.stderr).toBe('')
    expect(JSON.parse(child.stdout)).toEqual(['bigint', 'EBUSY', -16, 'sbrk', true])
  })

  // Past malloc's arena limit, threads share arenas, the main one included:
  // then even the main thread may race another thread's growth.
  it('refuses growth on the main thread while there are more threads than malloc arenas (MALLOC_ARENA_MAX=1)', () => {
    const child = runChild(
      `
      import { sbrk } from 'mman'
      import { Worker } from 'node:worker_threads'
      const worker = new Worker('setInterval(() => {}, 1000)', { eval: true })
      await new Promise((resolve) => worker.once('online', resolve))
      try { sbrk(4096); console.log('grew') } catch (e) { console.log(e.code, /arenas/.test(e.message)) }
      await worker.terminate()
    `,
      [],
      { MALLOC_ARENA_MAX: '1' },
    )
    expect(child.stderr).toBe('')
    expect(child.stdout).toBe('EBUSY true\n')
  })

  // lib/ checks a shrink against the floor it reads; should the floor rise
  // before the addon looks (malloc moved the break and mman grew again), that
  // is a race, answered as one. It threw EINVAL.
  it.skipIf(sanitized)('answers a shrink below a floor that moved after lib/ checked it with EBUSY, not EINVAL', () => {
    const child = runChildGrowingHeap(`
      import { sbrk } from 'mman'
      import { native } from './dist/lib/native.js'
      const first = sbrk(4096)
      const keep = []
      const top = sbrk(0)
      for (let i = 0; i < 20000 && sbrk(0) === top; i++) keep.push(new ArrayBuffer(1024).slice(0))
      const second = sbrk(4096)
      const [, , floor] = native.heapState()
      console.log(native.heapShrink(floor - 4096n), first.byteLength, second.byteLength)
    `)
    expect(child.stderr).toBe('')
    expect(child.stdout).toBe('moved 4096 4096\n')
  })
})
