// The views loan() and receiveView() hand out are kept per place in the ring
// (lib/ipc/views.ts): a later message at the same place and length comes in
// the same object, with that message's bytes, and nothing a caller does to a
// view changes what the channel hands out or copies.
import { describe, expect, it } from 'vitest'
import { Channel } from '../lib/index.js'
import { VIEW_SLOTS } from '../lib/ipc/views.js'

/** A channel whose ring a 56-byte message (64 bytes with its header) goes round in 64 messages. */
function smallRing() {
  const channel = Channel.create(4096)
  return { channel, tx: channel.sender(), rx: channel.receiver() }
}

describe('views handed out per place in the ring', () => {
  it('receiveView() and loan() hand a later message at the same place the same view, holding that message', () => {
    const { tx, rx } = smallRing()
    const loans: Uint8Array[] = []
    const views: Uint8Array[] = []
    // Three laps of 64 messages of 56 bytes (64 with the header: no wrap marker).
    for (let i = 0; i < 192; i++) {
      const slot = tx.loan(56)
      slot.fill(i & 255)
      tx.publish()
      const view = rx.receiveView()!
      expect(view.length).toBe(56)
      expect(view.every((b) => b === (i & 255))).toBe(true)
      loans.push(slot)
      views.push(view)
    }
    for (let i = 64; i < 192; i++) {
      expect(loans[i]).toBe(loans[i - 64])
      expect(views[i]).toBe(views[i - 64])
    }
    // Different places: different views.
    expect(new Set(views.slice(0, 64)).size).toBe(64)
  })

  it('a message of another length at the same place gets a view of its own length', () => {
    const { tx, rx } = smallRing()
    for (let i = 0; i < 64; i++) {
      tx.loan(56).fill(1)
      tx.publish()
      rx.receiveView()
    }
    // Back at offset 0: 40 bytes where 56 were.
    const slot = tx.loan(40)
    expect(slot.length).toBe(40)
    slot.fill(2)
    tx.publish(30)
    const view = rx.receiveView()!
    expect(view.length).toBe(30)
    expect(view.every((b) => b === 2)).toBe(true)
    // publish() of fewer bytes than the loan: the receiver's view is the published length.
    tx.send(new Uint8Array(56).fill(3))
    expect(rx.receiveView()!.length).toBe(56)
  })

  it('what a caller does to a view it was handed does not change the messages after it', () => {
    const { tx, rx } = smallRing()
    /** Sends and takes a lap's other 63 messages: the next one lies where the last one taken did. */
    const lap = () => {
      for (let i = 0; i < 63; i++) {
        tx.send(new Uint8Array(56))
        rx.receive()
      }
    }
    tx.send(new Uint8Array(56).fill(7))
    const view = rx.receiveView()!
    // Properties a copy might read, shadowed on the view the channel keeps for this place.
    Object.defineProperty(view, 'length', { value: 1 })
    Object.defineProperty(view, 'slice', { value: () => new Uint8Array(0) })
    lap()
    tx.send(new Uint8Array(56).fill(8))
    const copy = rx.receive()!
    expect(copy.length).toBe(56)
    expect(copy.every((b) => b === 8)).toBe(true)
    lap()
    // 56 bytes serialized (the same place and length as the view).
    tx.sendValue(new Uint8Array(51).fill(9))
    expect(rx.receiveValue()).toEqual(new Uint8Array(51).fill(9))
    lap()
    tx.send('s'.repeat(56))
    expect(rx.receiveString()).toBe('s'.repeat(56))
  })

  it('holds at most VIEW_SLOTS views per end, and hands out right views past them', () => {
    const channel = Channel.create(1 << 20)
    const tx = channel.sender()
    const rx = channel.receiver()
    // 8-byte messages (16 with the header): twice the cache's reach before the early wrap.
    const first: Uint8Array[] = []
    for (let i = 0; i < 4 * VIEW_SLOTS; i++) {
      const slot = tx.loan(8)
      slot.fill(i & 255)
      tx.publish()
      const view = rx.receiveView()!
      expect(view[7]).toBe(i & 255)
      if (i < VIEW_SLOTS) first.push(view)
      // Places VIEW_SLOTS * 8 bytes apart share a slot of the cache: the later one replaced the first.
      else if (i < 2 * VIEW_SLOTS) expect(view).not.toBe(first[i % VIEW_SLOTS])
    }
  })
})
