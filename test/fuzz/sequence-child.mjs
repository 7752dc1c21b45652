// One sequence-fuzzing campaign in this process: `node --expose-gc sequence-child.mjs <seed> <runs>`.
// Each run plays a random sequence of operations — map, views of every kind,
// writes, protect, advise, remap (grow/shrink/move), resize, async work in
// flight, unmap, gc, transfer(), structuredClone, postMessage — against a model
// of what every view must read. After each step every view is checked: live
// views read what the model says, detached views are empty, buffers moved out
// by transfer() read zeros once their mapping is gone, and no mapping ever sees
// another's bytes. A crash ends this process with a signal, which the parent
// test reports with the seed.
import fc from 'fast-check'
import { randomBytes } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MessageChannel, Worker } from 'node:worker_threads'
import * as m from '../../dist/lib/index.js'

const [seed, runs] = process.argv.slice(2).map(Number)
const { PROT, MADV, pageSize } = m
const canTransfer = typeof ArrayBuffer.prototype.transfer === 'function'
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
}
const files = []
let fileCount = 0

const KINDS = ['anon', 'shared', 'fileRw', 'fileCow', 'fileR']
const op = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('map'),
      kind: fc.constantFrom(...KINDS),
      pages: fc.integer({ min: 1, max: 6 }),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('view'),
      m: fc.nat(),
      kind: fc.constantFrom('buffer', 'bytes', 'window', 'dataview', 'subarray'),
      a: fc.nat(),
      b: fc.nat(),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('write'),
      v: fc.nat(),
      at: fc.nat(),
      value: fc.integer({ min: 1, max: 255 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('protect'), m: fc.nat(), readOnly: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('advise'),
      m: fc.nat(),
      advice: fc.constantFrom('DONTNEED', 'SEQUENTIAL', 'RANDOM', 'WILLNEED'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('remap'), m: fc.nat(), pages: fc.integer({ min: 1, max: 64 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('resize'), m: fc.nat(), bytes: fc.integer({ min: 1, max: 6 * 4096 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('async'), m: fc.nat(), what: fc.constantFrom('sync', 'populate') }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('await') }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('unmap'), m: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('gc') }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('transfer'), v: fc.nat(), fixed: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clone'), v: fc.nat(), transfer: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('post'), v: fc.nat(), transfer: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('toWorker'), v: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('drop'), v: fc.nat() }) },
)

// A worker that reads what it is sent, answers with the bytes, and keeps the last
// few buffers a while, so that moved backing stores die on another thread.
const worker = new Worker(
  `const { parentPort } = require('node:worker_threads')
  const kept = []
  parentPort.on('message', (buffer) => {
    if (buffer === 'forget') {
      kept.length = 0
      globalThis.gc?.()
      return setImmediate(() => parentPort.postMessage('forgotten'))
    }
    kept.push(buffer)
    if (kept.length > 3) kept.shift()
    parentPort.postMessage(Array.from(new Uint8Array(buffer)))
  })`,
  { eval: true },
)
const askWorker = (buffer, transfer) => {
  const answer = new Promise((resolve) => worker.once('message', resolve))
  worker.postMessage(buffer, transfer)
  return answer
}

class Failure extends Error {}
const expectThat = (condition, what) => {
  if (!condition) throw new Failure(what)
}
const expectCode = (error, code, what) => {
  if (error?.code !== code) throw new Failure(`${what}: expected ${code}, got ${error?.code ?? error}`)
}

function newFile(bytes) {
  const path = join(tmpdir(), `mman-seq-${process.pid}-${fileCount++}.bin`)
  writeFileSync(path, bytes)
  files.push(path)
  return path
}

// The model of one mapping: what its bytes must be (`data`) and, for a file
// mapping, what the file holds (`file`: shared writes reach it, private ones not).
function mapModel(kind, pages) {
  const length = pages * pageSize - (kind.startsWith('file') ? 100 : 0)
  if (kind === 'anon') return { kind, mapping: m.mapAnonymous(length), data: new Uint8Array(length) }
  if (kind === 'shared')
    return { kind, mapping: m.mapAnonymous(length, { shared: true }), data: new Uint8Array(length) }
  const content = new Uint8Array(randomBytes(length))
  const path = newFile(content)
  const mode = { fileRw: 'rw', fileCow: 'cow', fileR: 'r' }[kind]
  return { kind, mapping: m.mapFile(path, { mode }), data: content.slice(), file: content }
}

async function play(ops) {
  const maps = [] // { kind, mapping, data, file?, live, readOnly, pending, gen }
  const views = [] // { map, ab, start, length, view, gen, moved, unknown }
  const pending = []
  const viewBytes = (v) => new Uint8Array(v.ab, 0, v.length)
  const current = (v) => v.map.live && !v.moved && v.gen === v.map.gen && !v.ab.detached && v.ab.byteLength !== 0
  const pick = (list, i) => (list.length === 0 ? undefined : list[i % list.length])

  const check = (step) => {
    for (const v of views) {
      if (v.unknown) continue
      if (v.moved) {
        const bytes = viewBytes(v)
        const expected = v.map.live ? v.map.data.subarray(v.start, v.start + v.length) : v.zombie
        for (let i = 0; i < v.length; i++)
          expectThat(
            bytes[i] === expected[i],
            `${step}: moved buffer byte ${i} is ${bytes[i]}, expected ${expected[i]}`,
          )
        continue
      }
      if (!v.map.live || v.gen !== v.map.gen || v.detachedByTransfer) {
        expectThat(
          v.ab.byteLength === 0,
          `${step}: a view of an unmapped/remapped/transferred buffer still has ${v.ab.byteLength} bytes`,
        )
        continue
      }
      const bytes = viewBytes(v)
      for (let i = 0; i < v.length; i++) {
        expectThat(
          bytes[i] === v.map.data[v.start + i],
          `${step}: view byte ${v.start + i} of a ${v.map.kind} mapping is ${bytes[i]}, expected ${v.map.data[v.start + i]}`,
        )
      }
    }
  }

  const orphanMoved = (model, unknown) => {
    for (const v of views) {
      if (v.map !== model || !v.moved) continue
      if (unknown) v.unknown = true
      else v.zombie = new Uint8Array(v.length)
    }
  }

  for (const [index, o] of ops.entries()) {
    const step = `step ${index} ${JSON.stringify(o)}`
    const model = pick(maps, o.m ?? 0)
    switch (o.op) {
      case 'map': {
        if (maps.filter((x) => x.live).length >= 6) break
        maps.push({ ...mapModel(o.kind, o.pages), live: true, readOnly: o.kind === 'fileR', gen: 0 })
        break
      }
      case 'view': {
        if (!model?.live) break
        const { mapping } = model
        const a = o.a % mapping.length
        const b = 1 + (o.b % (mapping.length - a))
        if (o.kind === 'window') {
          views.push({ map: model, ab: mapping.window(a, b), start: a, length: b, gen: model.gen })
        } else {
          const ab = mapping.buffer
          const length = o.kind === 'buffer' ? mapping.length : b
          const start = o.kind === 'buffer' ? 0 : a
          const view =
            o.kind === 'dataview'
              ? new DataView(ab, start, length)
              : o.kind === 'buffer'
                ? ab
                : new Uint8Array(ab, start, length)
          views.push({ map: model, ab, start: 0, length: mapping.length, view, gen: model.gen })
        }
        break
      }
      case 'write': {
        const v = pick(views, o.v)
        if (v === undefined || v.unknown) break
        if (v.moved) {
          if (!v.map.live || !v.map.readOnly) {
            const at = o.at % v.length
            viewBytes(v)[at] = o.value
            if (v.map.live) {
              v.map.data[v.start + at] = o.value
              if (v.map.kind === 'fileRw') v.map.file[v.start + at] = o.value
            } else
              for (const w of views)
                if (
                  w.moved &&
                  w.map === v.map &&
                  !w.unknown &&
                  w.start <= v.start + at &&
                  v.start + at < w.start + w.length
                )
                  w.zombie[v.start + at - w.start] = o.value
          }
          break
        }
        if (!current(v) || v.map.readOnly) break
        const at = o.at % v.length
        viewBytes(v)[at] = o.value
        v.map.data[v.start + at] = o.value
        if (v.map.kind === 'fileRw') v.map.file[v.start + at] = o.value
        break
      }
      case 'protect': {
        if (!model?.live) break
        try {
          model.mapping.protect(o.readOnly ? PROT.READ : PROT.READ | PROT.WRITE)
          expectThat(o.readOnly || model.kind !== 'fileR', `${step}: a read-only file mapping was made writable`)
          model.readOnly = o.readOnly || model.kind === 'fileR'
        } catch (error) {
          expectCode(error, 'EACCES', step)
          expectThat(model.kind === 'fileR' && !o.readOnly, `${step}: protect failed unexpectedly`)
        }
        break
      }
      case 'advise': {
        if (!model?.live) break
        model.mapping.advise(MADV[o.advice])
        if (o.advice === 'DONTNEED') {
          if (model.kind === 'anon') model.data.fill(0)
          if (model.kind === 'fileCow') model.data.set(model.file.subarray(0, model.data.length))
        }
        break
      }
      case 'remap': {
        if (!model?.live) break
        const length = o.pages * pageSize - (model.kind.startsWith('file') ? 100 : 0)
        const grows = length > model.data.length
        try {
          model.mapping.remap(length)
        } catch (error) {
          // Policy refusals come before the syscall, so with work in flight either answer is right.
          if (grows && model.kind === 'shared' && error?.code === 'EINVAL') break
          if (grows && model.file !== undefined && length > model.file.length && error?.code === 'ERR_OUT_OF_RANGE')
            break
          if (model.pending > 0) {
            expectCode(error, 'EBUSY', step)
            break
          }
          throw error
        }
        expectThat(!(grows && model.kind === 'shared'), `${step}: shared anonymous memory grew`)
        expectThat(
          !(grows && model.file !== undefined && length > model.file.length),
          `${step}: a file mapping grew past end-of-file`,
        )
        expectThat(!(model.pending > 0), `${step}: remap with async work in flight did not say EBUSY`)
        const data = new Uint8Array(length)
        data.set(model.data.subarray(0, Math.min(length, model.data.length)))
        // Pages that come back into a file mapping show the file.
        if (model.file !== undefined && grows)
          data.set(model.file.subarray(model.data.length, length), model.data.length)
        model.data = data
        model.gen++
        orphanMoved(model, true)
        break
      }
      case 'resize': {
        if (!model?.live || model.kind !== 'fileRw') break
        try {
          model.mapping.resize(o.bytes)
        } catch (error) {
          expectCode(error, 'EBUSY', step)
          expectThat(model.pending > 0, `${step}: resize failed unexpectedly`)
          break
        }
        const file = new Uint8Array(o.bytes)
        file.set(model.file.subarray(0, Math.min(o.bytes, model.file.length)))
        model.file = file
        model.data = file.slice()
        model.gen++
        orphanMoved(model, true)
        break
      }
      case 'async': {
        if (!model?.live) break
        const work = o.what === 'sync' ? model.mapping.syncAsync() : model.mapping.populateAsync({ write: false })
        model.pending = (model.pending ?? 0) + 1
        pending.push(
          work.then(
            () => model.pending--,
            (error) => {
              model.pending--
              expectThat(typeof error?.code === 'string', `${step}: async work failed without a code: ${error}`)
            },
          ),
        )
        break
      }
      case 'await': {
        await Promise.all(pending.splice(0))
        break
      }
      case 'unmap': {
        if (!model?.live) break
        try {
          model.mapping.unmap()
        } catch (error) {
          expectCode(error, 'EBUSY', step)
          expectThat(model.pending > 0, `${step}: unmap said EBUSY with nothing in flight`)
          break
        }
        expectThat(!(model.pending > 0), `${step}: unmap with async work in flight did not say EBUSY`)
        model.live = false
        orphanMoved(model, false)
        break
      }
      case 'gc': {
        await settle()
        break
      }
      case 'transfer': {
        const v = pick(views, o.v)
        if (!canTransfer || v === undefined || v.unknown || !(v.moved || current(v))) break
        const ab = v.ab
        const moved = o.fixed ? ab.transferToFixedLength() : ab.transfer()
        for (const w of views) if (w.ab === ab) w.detachedByTransfer = true
        const record = { map: v.map, ab: moved, start: v.start, length: v.length, moved: true }
        if (v.moved) {
          record.zombie = v.zombie
          v.unknown = true
        }
        views.push(record)
        break
      }
      case 'clone':
      case 'post': {
        const v = pick(views, o.v)
        if (v === undefined || v.unknown || !(v.moved || current(v))) break
        const expected = viewBytes(v).slice()
        let copy
        try {
          if (o.op === 'clone') {
            copy = structuredClone(v.ab, o.transfer ? { transfer: [v.ab] } : undefined)
          } else {
            const { port1, port2 } = new MessageChannel()
            const received = new Promise((resolve) => port2.once('message', resolve))
            try {
              port1.postMessage(v.ab, o.transfer ? [v.ab] : [])
              copy = await received
            } finally {
              port1.close()
            }
          }
        } catch (error) {
          // Node >= 22 refuses to transfer an addon's external buffer; Node 20 copies it.
          expectThat(o.transfer && canTransfer && !v.moved && error?.name === 'DataCloneError', `${step}: ${error}`)
          break
        }
        const bytes = new Uint8Array(copy)
        expectThat(
          bytes.length === expected.length && bytes.every((x, i) => x === expected[i]),
          `${step}: the copy differs`,
        )
        if (v.moved && o.transfer && canTransfer) {
          // A buffer transfer() made is a plain one: Node moves it on, and the received one is the view now.
          expectThat(v.ab.byteLength === 0, `${step}: transferring a moved buffer left it attached`)
          views.push({ ...v, ab: copy })
          v.unknown = true
        } else {
          expectThat(v.ab.byteLength === v.length, `${step}: cloning detached the original`)
        }
        break
      }
      case 'toWorker': {
        const v = pick(views, o.v)
        if (v === undefined || v.unknown || !(v.moved || current(v))) break
        const expected = Array.from(viewBytes(v))
        let seen
        try {
          seen = await askWorker(v.ab, [v.ab])
        } catch (error) {
          expectThat(canTransfer && !v.moved && error?.name === 'DataCloneError', `${step}: ${error}`)
          break
        }
        expectThat(
          seen.length === expected.length && seen.every((x, i) => x === expected[i]),
          `${step}: the worker read other bytes`,
        )
        if (v.moved) {
          expectThat(v.ab.byteLength === 0, `${step}: a moved buffer sent to the worker stayed attached here`)
          v.unknown = true
        }
        break
      }
      case 'drop': {
        const v = pick(views, o.v)
        if (v !== undefined) views.splice(views.indexOf(v), 1)
        break
      }
    }
    check(step)
  }
  await Promise.all(pending.splice(0))
  for (const model of maps) if (model.live) model.mapping.unmap()
  await askWorker('forget', [])
}

let cases = 0
const failures = []
// MMAN_SEQUENCE='[{"op":"map",...},...]' replays one sequence (a counterexample) instead of a campaign.
const replay =
  process.env.MMAN_SEQUENCE === undefined ? undefined : [fc.constant(JSON.parse(process.env.MMAN_SEQUENCE))]
const result = await fc.check(
  fc.asyncProperty(...(replay ?? [fc.array(op, { minLength: 1, maxLength: 60, size: 'max' })]), async (ops) => {
    cases++
    await settle()
    const counts = () => Object.values(m.regionCounts())
    const before = counts()
    try {
      await play(ops)
    } catch (error) {
      if (error instanceof Failure || typeof error?.code !== 'string') throw error
      throw new Error(`an operation threw an unexpected ${error.code}: ${error.stack}`, { cause: error })
    }
    // Whatever the sequence did, once its views are gone every region and zombie range is released.
    const owed = () => counts().some((count, i) => count > before[i])
    for (let round = 0; round < 10 && owed(); round++) await settle()
    const [regions, zombies] = counts()
    expectThat(
      regions <= before[0] && zombies <= before[1],
      `after the sequence ${regions - before[0]} regions and ${zombies - before[1]} zombie ranges remain`,
    )
  }),
  { seed, numRuns: replay ? 1 : runs },
)
if (result.failed) failures.push(`${fc.defaultReportMessage(result)}\n${result.errorInstance?.message ?? result.error}`)
await worker.terminate()
for (const path of files) rmSync(path, { force: true })
console.log(JSON.stringify({ seed, cases, failures }))
