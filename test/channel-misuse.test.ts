// A Channel used carelessly or against itself in one process: ends closed
// while their own calls wait, and messages whose getters lie or send.
import { afterEach, describe, expect, it } from 'vitest'
import { Channel } from '../lib/index.js'

const ENGINE_SWITCH = 'MMAN_NO_IO_URING'
const engineBefore = process.env[ENGINE_SWITCH]
afterEach(() => {
  if (engineBefore === undefined) delete process.env[ENGINE_SWITCH]
  else process.env[ENGINE_SWITCH] = engineBefore
})

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    (value) => ({ value }),
    (error: { code?: string }) => ({ code: error.code }),
  )

/** A sender and receiver whose ring has no room for another 1000 bytes. */
function fullChannel() {
  const channel = Channel.create(4096)
  const tx = channel.sender()
  const rx = channel.receiver()
  for (;;) {
    try {
      tx.send(new Uint8Array(1000), 0)
    } catch (error) {
      expect((error as { code?: string }).code).toBe('ERR_CHANNEL_TIMEOUT')
      return { channel, tx, rx }
    }
  }
}

describe.each([
  ['io_uring', undefined],
  ['threads of its own', '1'],
])('an end closed while its own call waits, through %s', (_engine, noIoUring) => {
  const useEngine = () => {
    if (noIoUring === undefined) delete process.env[ENGINE_SWITCH]
    else process.env[ENGINE_SWITCH] = noIoUring
  }

  // Before: each stayed pending for good, and kept the process from exiting.
  it('ends the waiting call with ERR_CHANNEL_CLOSED, every round', async () => {
    useEngine()
    for (let round = 0; round < 50; round++) {
      const empty = Channel.create(4096)
      const rx = empty.receiver()
      empty.sender()
      const receiving = [rx.receiveAsync(), rx.receiveViewAsync(), rx.receiveStringAsync(), rx.receiveValueAsync()].map(
        outcome,
      )
      const full = fullChannel()
      const sending = outcome(full.tx.sendAsync(new Uint8Array(1000)))
      const lender = fullChannel()
      const lending = outcome(lender.tx.loanAsync(1000))
      if (round % 2 === 1) await new Promise((resolve) => setImmediate(resolve))
      rx.close()
      full.tx.close()
      lender.tx.close()
      expect(await Promise.all([...receiving, sending, lending])).toEqual(Array(6).fill({ code: 'ERR_CHANNEL_CLOSED' }))
      for (const channel of [empty, full.channel, lender.channel]) channel.memory.close()
    }
  })
})

describe('a message whose view lies', () => {
  it('is sent as the bytes its view covers: a byteLength getter that lies is never asked', () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    const rx = channel.receiver()
    class ShortLiar extends Uint8Array {
      override get byteLength() {
        return 8
      }
    }
    tx.send('unread')
    // Before: 8 bytes reserved, all 3000 written into the ring past them, and 8 delivered.
    expect(() => tx.send(new ShortLiar(3000))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }))
    tx.send(new ShortLiar(100).fill(7))
    expect(rx.receiveString()).toBe('unread')
    expect(rx.receive()).toEqual(Buffer.alloc(100, 7))
  })

  it('runs none of its getters once room is reserved: a getter that sends cannot slip a message in', () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    const rx = channel.receiver()
    let getterRan = 0
    class Sending extends Int32Array {
      override get buffer() {
        getterRan++
        tx.send('inner')
        return super.buffer
      }
    }
    class SendingView extends DataView<ArrayBuffer> {
      override get byteOffset() {
        getterRan++
        tx.send('inner')
        return super.byteOffset
      }
    }
    // Before: the inner message was published in the outer one's slot, then
    // overwritten by its bytes ('BBBBB', a message nobody sent), and the
    // outer publish threw a RangeError leaving the ring corrupt.
    tx.send(new Sending([0x42424242, 0x42424242]))
    tx.send(new SendingView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2))
    tx.send('after')
    expect(getterRan).toBe(0)
    expect(rx.receive(0)).toEqual(Buffer.alloc(8, 0x42))
    expect(rx.receive(0)).toEqual(Buffer.from([2, 3]))
    expect(rx.receiveString(0)).toBe('after')
  })

  it('a view of a detached buffer is an empty message', () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    const rx = channel.receiver()
    const buffer = new ArrayBuffer(16)
    const ints = new Int32Array(buffer)
    const view = new DataView(buffer)
    structuredClone(buffer, { transfer: [buffer] })
    tx.send(ints)
    tx.send(view)
    tx.send('after')
    expect(rx.receive(0)).toEqual(Buffer.alloc(0))
    expect(rx.receive(0)).toEqual(Buffer.alloc(0))
    expect(rx.receiveString(0)).toBe('after')
  })
})
