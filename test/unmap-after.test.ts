// Mapping.unmapAfter(): Node sends a Buffer given to socket.write()/res.end()
// from where it lies, without a copy, until the write is done. A mapping
// unmapped before that sends a slow reader zeros (with status 200); unmapAfter(res)
// unmaps once the response has been handed over.
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { createServer, type ServerResponse } from 'node:http'
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { MAP, PROT, map, mapAnonymous, mapFile, type Mapping } from '../lib/index.js'
import { tempDir, thrown } from './helpers.js'

const { dir, cleanup } = tempDir()
afterAll(cleanup)

// Far more than the loopback socket buffers hold (a few MiB), so a reader that
// does not read leaves most of it unsent. No byte is 0, so zeros show.
const size = 64 * 2 ** 20
const path = join(dir, 'body.bin')
const body = Buffer.alloc(size)
for (let i = 0; i < size; i++) body[i] = (i % 251) + 1
writeFileSync(path, body)

interface Served {
  mapping: Mapping
  res: ServerResponse
}

/**
 * An HTTP server that answers with the mapped file (`send` decides how the
 * mapping ends), and a client that reads nothing until the server has answered.
 */
async function slowRead(send: (served: Served) => void, readBytes = Infinity) {
  let answered!: (served: Served) => void
  const handled = new Promise<Served>((resolve) => (answered = resolve))
  const server = createServer((_req, res) => {
    const mapping = mapFile(path)
    res.end(mapping.bytes())
    const served = { mapping, res }
    send(served)
    answered(served)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1')
  socket.pause()
  socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
  const served = await handled
  const pendingAtEnd = !served.res.writableFinished
  const mappedAtEnd = !served.mapping.unmapped
  const chunks: Buffer[] = []
  let received = 0
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk)
    received += chunk.length
    if (received >= readBytes) socket.destroy()
  })
  socket.resume()
  await once(socket, 'close')
  server.close()
  const response = Buffer.concat(chunks)
  const headerEnd = response.indexOf('\r\n\r\n') + 4
  return {
    ...served,
    pendingAtEnd,
    mappedAtEnd,
    status: response.subarray(9, 12).toString(),
    received: response.subarray(headerEnd),
  }
}

describe('unmapAfter()', () => {
  it('a slow HTTP reader gets every byte of res.end(mapping.bytes()); the mapping is unmapped once they were handed over', async () => {
    let unmapped!: Promise<void>
    const result = await slowRead(({ mapping, res }) => {
      unmapped = mapping.unmapAfter(res)
    })
    expect(result.pendingAtEnd).toBe(true) // the premise: most of the body was still to be sent
    expect(result.mappedAtEnd).toBe(true)
    expect(result.status).toBe('200')
    expect(result.received.length).toBe(size)
    expect(result.received.equals(body)).toBe(true)
    await unmapped
    expect(result.mapping.unmapped).toBe(true)
  })

  it('(why it exists: unmap() right after res.end() sends the slow reader zeros, with status 200)', async () => {
    const result = await slowRead(({ mapping }) => mapping.unmap())
    expect(result.pendingAtEnd).toBe(true)
    expect(result.status).toBe('200')
    expect(result.received.equals(body)).toBe(false)
    expect(result.received.at(-1)).toBe(0)
  })

  it("(the guide's hand-made form, res.on('close', unmap), does the same)", async () => {
    const result = await slowRead(({ mapping, res }) => res.on('close', () => mapping.unmap()))
    expect(result.pendingAtEnd).toBe(true)
    expect(result.received.equals(body)).toBe(true)
    expect(result.mapping.unmapped).toBe(true)
  })

  it('a raw socket: socket.end(mapping.bytes()), unmapAfter(socket); the slow reader gets every byte', async () => {
    let unmapped!: Promise<void>
    let mapping!: Mapping
    const server = createNetServer((socket) => {
      mapping = mapFile(path)
      socket.end(mapping.bytes())
      unmapped = mapping.unmapAfter(socket)
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1')
    client.pause()
    await once(server, 'connection')
    await new Promise((resolve) => setImmediate(resolve))
    expect(mapping.unmapped).toBe(false)
    const chunks: Buffer[] = []
    client.on('data', (chunk: Buffer) => chunks.push(chunk))
    client.resume()
    await once(client, 'end')
    client.destroy()
    server.close()
    expect(Buffer.concat(chunks).equals(body)).toBe(true)
    await unmapped
    expect(mapping.unmapped).toBe(true)
  })

  it('unmaps when the reader goes away mid-body (the response closes)', async () => {
    let unmapped!: Promise<void>
    const result = await slowRead(({ mapping, res }) => {
      unmapped = mapping.unmapAfter(res)
    }, 1024 * 1024)
    expect(result.received.length).toBeLessThan(size)
    await unmapped
    expect(result.mapping.unmapped).toBe(true)
  })

  it('waits for a promise, fulfilled or rejected, and for a stream that already finished', async () => {
    for (const outcome of ['fulfilled', 'rejected'] as const) {
      const mapping = mapAnonymous(4096)
      let settle!: () => void
      const done = new Promise<void>(
        (resolve, reject) => (settle = outcome === 'fulfilled' ? resolve : () => reject(new Error('failed'))),
      )
      const unmapped = mapping.unmapAfter(done)
      await new Promise((resolve) => setImmediate(resolve))
      expect(mapping.unmapped).toBe(false)
      settle()
      await unmapped
      expect(mapping.unmapped).toBe(true)
    }
    const stream = new PassThrough()
    stream.end('x')
    stream.resume()
    await once(stream, 'finish')
    const mapping = mapAnonymous(4096)
    await mapping.unmapAfter(stream)
    expect(mapping.unmapped).toBe(true)
    await mapping.unmapAfter(Promise.resolve()) // a second unmap does nothing
  })

  // unmap() is EBUSY while the populate runs; unmapAfter() waits for it rather than rejecting.
  it('unmaps once an async populate still in flight when the stream finished has ended', async () => {
    const mapping = mapAnonymous(256 * 2 ** 20)
    const populating = mapping.populateAsync()
    const stream = new PassThrough()
    stream.end(mapping.bytes(0, 10))
    stream.resume()
    const unmapped = mapping.unmapAfter(stream).then(
      () => 'unmapped',
      (error: { code?: string }) => error.code,
    )
    await populating
    expect(await unmapped).toBe('unmapped')
    expect(mapping.unmapped).toBe(true)
  })

  // A flusher that syncs until the mapping is unmapped starts its next call as
  // each one settles: there is never a moment with none in flight to retry in.
  it('unmaps while the caller chains async calls back to back until it is unmapped', async () => {
    const mapping = mapAnonymous(4096)
    mapping.bytes()[0] = 1
    let calls = 0
    const flusher = (async () => {
      while (!mapping.unmapped && calls < 1000) {
        calls++
        await mapping.syncAsync()
      }
    })()
    const unmapped = mapping.unmapAfter(Promise.resolve())
    await flusher
    expect(mapping.unmapped).toBe(true)
    expect(calls).toBeLessThan(1000)
    await unmapped
  })

  it('unmaps once an async call on a MAP.FIXED mapping placed inside it has ended', async () => {
    const parent = mapAnonymous(512 * 2 ** 20)
    const child = map(
      256 * 2 ** 20,
      PROT.READ | PROT.WRITE,
      MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED,
      -1,
      0,
      parent.address,
    )
    const populating = child.populateAsync()
    // The child's call keeps the parent's unmap EBUSY; its settling is the child's, not the parent's.
    expect(thrown(() => parent.unmap()).code).toBe('EBUSY')
    const unmapped = parent.unmapAfter(Promise.resolve())
    await populating
    await unmapped
    expect(parent.unmapped).toBe(true)
    expect(child.unmapped).toBe(true)
  })

  it('refuses anything else with ERR_INVALID_ARG_TYPE, and leaves the mapping alone', () => {
    const mapping = mapAnonymous(4096)
    for (const bad of [undefined, null, 1, {}, { then: 1 }, () => {}]) {
      expect(thrown(() => mapping.unmapAfter(bad as never)).code).toBe('ERR_INVALID_ARG_TYPE')
    }
    expect(mapping.unmapped).toBe(false)
    mapping.unmap()
  })
})
