// The channel's ring on its own, without processes: records round-trip with
// their kind, and every word the other side writes is checked before it is
// used. A record read anywhere but where it was written, one from an earlier
// lap, one whose length or kind was changed, and a HEAD that claims records
// that are not there are all RingCorruption, never a message nobody sent.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BYTES, STRING, VALUE, WRAP, checkOf, kindAndLength, maxMessageBytes, recordBytes } from '../lib/ipc/record.js'
import { CAPACITY, HEAD, HEADER_BYTES, TAIL, ringMemory, type RingMemory } from '../lib/ipc/ring-layout.js'
import { EARLY_WRAP_BYTES, RingCorruption, RingReader, RingWriter } from '../lib/ipc/ring.js'

const CAPACITY_BYTES = 4096
const KEY = 0x2468ace

function ring(capacity = CAPACITY_BYTES) {
  const memory = ringMemory(new ArrayBuffer(HEADER_BYTES + capacity), capacity, KEY)
  memory.ctl[CAPACITY] = capacity
  return { memory, writer: new RingWriter(memory), reader: new RingReader(memory) }
}

function write(writer: RingWriter, memory: RingMemory, message: Uint8Array, kind = BYTES): boolean {
  const at = writer.reserve(message.length)
  if (at < 0) return false
  memory.bytes.set(message, at)
  writer.publish(kind, message.length)
  writer.publishHead()
  return true
}

/** The next message and its kind, taken and released; undefined when none is there (after checking that none should be). */
function read(reader: RingReader, memory: RingMemory): { kind: number; bytes: Uint8Array } | undefined {
  if (!reader.peek()) {
    reader.verifyEmpty()
    return undefined
  }
  const message = { kind: reader.kind, bytes: memory.bytes.slice(reader.start, reader.end) }
  reader.take()
  reader.release()
  return message
}

/** Where the record at stream position `position` starts, as 32-bit word indices of the data area. */
const wordAt = (memory: RingMemory, position: number) => (position & (memory.capacity - 1)) >> 2

describe('the ring', () => {
  it('carries messages of every size and kind in order, wrapping many times, and applies backpressure', () => {
    const kinds = [BYTES, STRING, VALUE]
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: maxMessageBytes(CAPACITY_BYTES) }), { minLength: 1, maxLength: 200 }),
        (sizes) => {
          const { memory, writer, reader } = ring()
          const pending: { kind: number; bytes: Uint8Array }[] = []
          for (const [i, size] of sizes.entries()) {
            const message = { kind: kinds[i % 3]!, bytes: new Uint8Array(size).fill(i & 0xff) }
            while (!write(writer, memory, message.bytes, message.kind)) {
              // Full: the oldest message must come out first, intact.
              expect(read(reader, memory)).toEqual(pending.shift())
            }
            pending.push(message)
          }
          for (const expected of pending) expect(read(reader, memory)).toEqual(expected)
          expect(read(reader, memory)).toBeUndefined()
        },
      ),
    )
  })

  it('goes on past 2^32 bytes, where HEAD and TAIL wrap and the check counts a lap more', () => {
    const memory = ringMemory(new ArrayBuffer(HEADER_BYTES + CAPACITY_BYTES), CAPACITY_BYTES, KEY)
    memory.ctl[HEAD] = memory.ctl[TAIL] = -256 // 2^32 - 256
    const writer = new RingWriter(memory)
    const reader = new RingReader(memory)
    for (let i = 0; i < 40; i++) {
      expect(write(writer, memory, new Uint8Array(40).fill(i))).toBe(true)
      expect(read(reader, memory)!.bytes).toEqual(new Uint8Array(40).fill(i))
    }
    expect(memory.ctl[TAIL]).toBeGreaterThan(0) // past 2^32
  })

  it('publishes fewer bytes than were reserved (a loan partly used), and the next record follows them', () => {
    const { memory, writer, reader } = ring()
    const at = writer.reserve(1000)
    memory.bytes.set([1, 2, 3], at)
    writer.publish(BYTES, 3)
    writer.publishHead()
    expect(write(writer, memory, new Uint8Array([9]))).toBe(true)
    expect(Atomics.load(memory.ctl, HEAD)).toBe(recordBytes(3) + recordBytes(1))
    expect(read(reader, memory)!.bytes).toEqual(new Uint8Array([1, 2, 3]))
    expect(read(reader, memory)!.bytes).toEqual(new Uint8Array([9]))
  })

  it('a reservation that is cancelled or replaced leaves no trace', () => {
    const { memory, writer, reader } = ring()
    writer.reserve(100)
    writer.cancel()
    writer.reserve(200)
    expect(write(writer, memory, new Uint8Array([7]))).toBe(true)
    expect(read(reader, memory)!.bytes).toEqual(new Uint8Array([7]))
    expect(read(reader, memory)).toBeUndefined()
  })

  it('small messages on a large ring go back to its start once the reader caught up, instead of cycling through it all', () => {
    const capacity = 1 << 20
    const { memory, writer, reader } = ring(capacity)
    let furthest = 0
    for (let i = 0; i < 10_000; i++) {
      const at = writer.reserve(64)
      furthest = Math.max(furthest, at)
      writer.publish(BYTES, 64)
      writer.publishHead()
      expect(read(reader, memory)?.bytes.length).toBe(64)
    }
    expect(furthest).toBeLessThan(EARLY_WRAP_BYTES + recordBytes(64))
  })

  it('a full ring is filled to its end when the reader lags, early wrapping or not', () => {
    const capacity = 1 << 18
    const { memory, writer, reader } = ring(capacity)
    const message = new Uint8Array(1000)
    let sent = 0
    while (write(writer, memory, message)) sent++
    expect(sent).toBe(Math.floor(capacity / recordBytes(1000)))
    for (let i = 0; i < sent; i++) expect(read(reader, memory)?.bytes.length).toBe(1000)
  })
})

describe('forged and replayed records', () => {
  /** A ring that carried `count` messages `text(i)` of one size, all read. */
  function used(count: number, text: (i: number) => string) {
    const r = ring()
    for (let i = 0; i < count; i++) {
      expect(write(r.writer, r.memory, Buffer.from(text(i)))).toBe(true)
      expect(Buffer.from(read(r.reader, r.memory)!.bytes).toString()).toBe(text(i))
    }
    return r
  }

  it('HEAD moved 40 bytes past the last record: no record there, so HEAD is a forgery', () => {
    const { memory, reader } = used(3, (i) => `message ${i}`)
    memory.ctl[HEAD]! += 40
    expect(reader.peek()).toBe(false)
    expect(() => reader.verifyEmpty()).toThrow(RingCorruption)
  })

  it('HEAD moved one record on after the ring wrapped: the old record from the last lap is not handed out again', () => {
    const payment = (i: number) => `payment #${String(i).padStart(3, '0')}: pay 100 EUR to alice, ref ${'x'.repeat(60)}`
    const size = recordBytes(Buffer.byteLength(payment(0)))
    // More than a lap: the record at the reader's position is one written a lap ago.
    const { memory, reader } = used(Math.ceil(CAPACITY_BYTES / size) + 3, payment)
    const at = wordAt(memory, Atomics.load(memory.ctl, TAIL))
    expect(Buffer.from(memory.bytes.subarray(at * 4 + 8, at * 4 + 8 + 14)).toString()).toMatch(/^payment #0/)
    memory.ctl[HEAD]! += size
    expect(reader.peek()).toBe(false)
    expect(() => reader.verifyEmpty()).toThrow(RingCorruption)
  })

  it('a length changed within range, or a kind changed, fails the record check', () => {
    for (const forge of [
      (word: number) => word + 1,
      (word: number) => word - 8,
      (word: number) => kindAndLength(VALUE, word & 0xffff),
    ]) {
      const { memory, writer, reader } = ring()
      write(writer, memory, new Uint8Array(64))
      memory.words[1] = forge(memory.words[1]!)
      expect(reader.peek()).toBe(false)
      expect(() => reader.verifyEmpty()).toThrow(RingCorruption)
    }
  })

  it('a record written at one position is not valid at another, nor with another key', () => {
    const { memory, writer, reader } = ring()
    write(writer, memory, new Uint8Array(16).fill(5))
    // Copy the record one record further on, and move HEAD past the copy.
    memory.words.copyWithin(recordBytes(16) / 4, 0, recordBytes(16) / 4)
    memory.ctl[HEAD] = 2 * recordBytes(16)
    expect(read(reader, memory)!.bytes).toEqual(new Uint8Array(16).fill(5))
    expect(reader.peek()).toBe(false)
    expect(() => reader.verifyEmpty()).toThrow(RingCorruption)
    const other = ringMemory(memory.bytes.buffer as ArrayBuffer, CAPACITY_BYTES, KEY + 1)
    Atomics.store(other.ctl, TAIL, 0)
    expect(new RingReader(other).peek()).toBe(false)
  })

  it('a wrap marker carries the check too: one changed into an empty record is not followed', () => {
    const { memory, writer, reader } = ring()
    // 4 records of 1000 bytes leave 64 at the end: the 5th goes to the start after a wrap marker.
    for (let i = 0; i < 5; i++) {
      write(writer, memory, new Uint8Array(1000).fill(i))
      if (i < 4) expect(read(reader, memory)!.bytes[0]).toBe(i)
    }
    const marker = (4 * recordBytes(1000)) >> 2
    expect(memory.words[marker + 1]).toBe(kindAndLength(WRAP, 0))
    memory.words[marker + 1] = kindAndLength(BYTES, 0)
    expect(reader.peek()).toBe(false)
    expect(() => reader.verifyEmpty()).toThrow(RingCorruption)
  })

  it('a valid check over an impossible kind or length is RingCorruption', () => {
    for (const word of [
      kindAndLength(0, 8),
      kindAndLength(5, 8),
      kindAndLength(BYTES, maxMessageBytes(CAPACITY_BYTES) + 8),
      kindAndLength(WRAP, 8),
    ]) {
      const { memory, reader } = ring()
      memory.words[1] = word
      memory.words[0] = checkOf(0, word, KEY)
      memory.ctl[HEAD] = 64
      expect(() => reader.peek()).toThrow(RingCorruption)
    }
  })

  it('a HEAD outside the ring, or not on a record boundary, is RingCorruption', () => {
    for (const head of [CAPACITY_BYTES + 8, 6, -2 * CAPACITY_BYTES]) {
      const { memory, reader } = ring()
      memory.ctl[HEAD] = head
      expect(reader.peek()).toBe(false)
      expect(() => reader.verifyEmpty(), String(head)).toThrow(RingCorruption)
    }
  })

  it('a HEAD just behind the reader (the sender between a record and its HEAD) is no corruption', () => {
    const { memory, writer, reader } = ring()
    write(writer, memory, new Uint8Array(10))
    expect(read(reader, memory)).toBeDefined()
    memory.ctl[HEAD] = 0
    expect(read(reader, memory)).toBeUndefined()
  })

  it('a TAIL claiming more was consumed than was published makes the writer stop', () => {
    const { memory, writer } = ring()
    // Fill the ring, so that the writer must look at TAIL again.
    const half = new Uint8Array(maxMessageBytes(CAPACITY_BYTES))
    expect(write(writer, memory, half) && write(writer, memory, half)).toBe(true)
    memory.ctl[TAIL] = 2 * CAPACITY_BYTES // ahead of HEAD
    expect(() => writer.reserve(half.length)).toThrow(RingCorruption)
  })

  it('whatever words a scribbler writes, the reader hands out only records the writer wrote, in order, inside the ring', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1 + CAPACITY_BYTES / 4 }), fc.integer()), {
          minLength: 1,
          maxLength: 20,
        }),
        (count, scribbles) => {
          const { memory, writer, reader } = ring()
          const written: string[] = []
          for (let i = 0; i < count; i++) {
            const message = Buffer.from(`#${i} ${'y'.repeat((i * 37) % 300)}`)
            if (!write(writer, memory, message)) break
            written.push(message.toString('latin1'))
            // Read some as they come, so that the ring wraps.
            if (i % 3 !== 0) expect(Buffer.from(read(reader, memory)!.bytes).toString('latin1')).toBe(written.shift())
          }
          for (const [index, value] of scribbles) {
            if (index < 2) memory.ctl[[HEAD, TAIL][index]!] = value
            else memory.words[index - 2] = value
          }
          for (let i = 0; i < 50; i++) {
            let got
            try {
              got = read(reader, memory)
            } catch (error) {
              expect(error).toBeInstanceOf(RingCorruption)
              return
            }
            if (got === undefined) return
            expect(reader.start).toBeGreaterThanOrEqual(8)
            expect(reader.end).toBeLessThanOrEqual(CAPACITY_BYTES)
            // A scribble may land inside a message's bytes (the ring's bytes are the peer's to write), never make one up.
            const text = Buffer.from(got.bytes).toString('latin1')
            const expected = written.shift()
            expect(expected).toBeDefined()
            expect(text.length).toBe(expected!.length)
          }
        },
      ),
      { numRuns: 2000 },
    )
  })
})
