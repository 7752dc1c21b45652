// The channel's ring on its own, without processes: records round-trip, and
// every word the other side writes is checked before it is used.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CAPACITY, HEAD, HEADER_BYTES, RingCorruption, RingReader, RingWriter, TAIL, maxMessageBytes, ringMemory } from '../lib/ipc/ring.js'

const CAPACITY_BYTES = 4096

function ring() {
  const memory = ringMemory(new ArrayBuffer(HEADER_BYTES + CAPACITY_BYTES), CAPACITY_BYTES)
  memory.ctl[CAPACITY] = CAPACITY_BYTES
  return { memory, writer: new RingWriter(memory), reader: new RingReader(memory) }
}

function write(writer: RingWriter, memory: ReturnType<typeof ringMemory>, message: Uint8Array): boolean {
  const at = writer.reserve(message.length)
  if (at < 0) return false
  memory.bytes.set(message, at)
  writer.commit()
  return true
}

function read(reader: RingReader, memory: ReturnType<typeof ringMemory>): Uint8Array | undefined {
  return reader.tryRead() ? memory.bytes.slice(reader.start, reader.end) : undefined
}

describe('the ring', () => {
  it('carries messages of every size in order, wrapping many times, and applies backpressure', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: maxMessageBytes(CAPACITY_BYTES) }), { minLength: 1, maxLength: 200 }), (sizes) => {
        const { memory, writer, reader } = ring()
        const pending: Uint8Array[] = []
        for (const [i, size] of sizes.entries()) {
          const message = new Uint8Array(size).fill(i & 0xff)
          while (!write(writer, memory, message)) {
            // Full: the oldest message must come out first, intact.
            const got = read(reader, memory)
            expect(got).toEqual(pending.shift())
          }
          pending.push(message)
        }
        for (const expected of pending) expect(read(reader, memory)).toEqual(expected)
        expect(read(reader, memory)).toBeUndefined()
      }),
    )
  })

  it('refuses what a scribbler writes instead of inventing messages', () => {
    const scribbles: [string, (m: ReturnType<typeof ringMemory>) => void][] = [
      ['HEAD a ring ahead of TAIL', (m) => (m.ctl[HEAD] = CAPACITY_BYTES + 4)],
      ['HEAD not on a word', (m) => (m.ctl[HEAD] = 6)],
      ['HEAD behind TAIL', (m) => (m.ctl[HEAD] = -4)],
      ['a length of -8', (m) => ((m.ctl[HEAD] = 64), (m.words[0] = -8))],
      ['a length over the largest message', (m) => ((m.ctl[HEAD] = 64), (m.words[0] = maxMessageBytes(CAPACITY_BYTES) + 4))],
      ['a length past what was published', (m) => ((m.ctl[HEAD] = 8), (m.words[0] = 100))],
      ['a wrap marker skipping past what was published', (m) => ((m.ctl[HEAD] = 8), (m.words[0] = -1))],
    ]
    for (const [what, scribble] of scribbles) {
      const { memory, reader } = ring()
      scribble(memory)
      expect(() => reader.tryRead(), what).toThrow(RingCorruption)
    }
  })

  it('refuses a TAIL claiming more was consumed than was published', () => {
    const { memory, writer } = ring()
    // Fill the ring, so that the writer must look at TAIL again.
    const half = new Uint8Array(maxMessageBytes(CAPACITY_BYTES))
    expect(write(writer, memory, half) && write(writer, memory, half)).toBe(true)
    memory.ctl[TAIL] = 2 * CAPACITY_BYTES // ahead of HEAD
    expect(() => writer.reserve(half.length)).toThrow(RingCorruption)
  })

  it('never reads outside the ring or hands out more than the largest message, whatever the words say', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 + CAPACITY_BYTES / 4 }), fc.integer()), { maxLength: 20 }), (writes) => {
        const { memory, reader } = ring()
        for (const [index, value] of writes) {
          if (index < 4) memory.ctl[[HEAD, TAIL, HEAD, HEAD][index]!] = value
          else memory.words[index - 4] = value
        }
        for (let i = 0; i < 8; i++) {
          let got
          try {
            got = reader.tryRead()
          } catch (error) {
            expect(error).toBeInstanceOf(RingCorruption)
            return
          }
          if (!got) return
          expect(reader.start).toBeGreaterThanOrEqual(4)
          expect(reader.end).toBeLessThanOrEqual(CAPACITY_BYTES)
          expect(reader.end - reader.start).toBeLessThanOrEqual(maxMessageBytes(CAPACITY_BYTES))
        }
      }),
      { numRuns: 2000 },
    )
  })
})
