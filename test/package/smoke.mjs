// The smoke suite for an installed package (and, under qemu, for the arm64
// prebuilds): map a file, views, unmap, a Channel round trip, and the tools
// addon. It resolves 'mman' from where it lies (test/package/install.sh copies
// it into a fresh project) and names the binaries the process loaded.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { Channel, MAP, PROT, mapFile, mmap, mprotect, munmap, pageSize } from 'mman'

const root = dirname(createRequire(import.meta.url).resolve('mman/package.json'))
const checks = []
const check = async (name, fn) => {
  await fn()
  checks.push(name)
}

const dir = mkdtempSync(join(tmpdir(), 'mman-smoke-'))
try {
  await check('map a file: read-only view from an unaligned offset, read-write written back', () => {
    const path = join(dir, 'data.txt')
    writeFileSync(path, 'hello, mapped world\n')
    const file = mapFile(path, { offset: 7 })
    assert.equal(Buffer.from(file.bytes()).toString(), 'mapped world\n')
    file.unmap()
    const rw = mapFile(path, { mode: 'rw' })
    rw.bytes(0, 5).set(Buffer.from('HELLO'))
    rw.sync()
    rw.unmap()
    assert.equal(readFileSync(path, 'utf8'), 'HELLO, mapped world\n')
  })

  await check('views of anonymous memory, mprotect, and munmap detaching every view', () => {
    const buf = mmap(null, 4 * pageSize, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)
    const ints = new Int32Array(buf)
    const tail = new Uint8Array(buf, 3 * pageSize)
    ints[0] = 42
    tail[0] = 7
    assert.equal(new DataView(buf).getInt32(0, true), 42)
    mprotect(buf, PROT.READ)
    munmap(buf)
    assert.deepEqual([buf.byteLength, ints.length, tail.length], [0, 0, 0])
  })

  await check('a Channel round trip with a worker thread', async () => {
    const channel = Channel.create(1 << 16)
    const rx = channel.receiver()
    const worker = new Worker(
      `Promise.all([import('node:worker_threads'), import('mman')])
        .then(([{ workerData }, { Channel, SharedMemory }]) => {
          const tx = Channel.attach(SharedMemory.attach(workerData.fd)).sender()
          for (let i = 0; i < 3; i++) tx.send(JSON.stringify({ i }))
          tx.close()
        })`,
      { eval: true, workerData: { fd: channel.memory.fd } },
    )
    // Listened for now: the worker may exit while the loop below still waits
    // for its last message, and a listener added after 'exit' never fires.
    const exited = new Promise((resolve, reject) => worker.on('exit', resolve).on('error', reject))
    const received = []
    for await (const message of rx) received.push(JSON.parse(message.toString()).i)
    await exited
    channel.memory.close()
    assert.deepEqual(received, [0, 1, 2])
  })

  await check('the tools addon (benchmark kernels, fork demo) loads', async () => {
    const { tools } = await import(pathToFileURL(join(root, 'dist/bench/tools.js')).href)
    assert.equal(tools.strerror(2), 'No such file or directory')
  })
} finally {
  rmSync(dir, { recursive: true, force: true })
}

const loaded = process.report
  .getReport()
  .sharedObjects.filter((path) => /\/mman(_tools)?(\.\w+)?\.node$/.test(path))
  .map((path) => relative(root, path))
console.log(
  `smoke ok on ${process.platform}-${process.arch}, Node ${process.version}: ${checks.length} checks ` +
    `(${checks.join('; ')}); loaded ${loaded.join(' and ')} from ${root}`,
)
