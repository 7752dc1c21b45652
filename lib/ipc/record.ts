// The records of a channel's ring. Each is
//   [check: int32][kind << 29 | length: int32][length bytes][padding to 8]
// and a wrap marker, which says "the rest of the ring is padding, go on at
// offset 0", is a record of kind WRAP and length 0. The check mixes the
// record's own stream position (bytes ever written before it),
// its kind-and-length word and the channel's key: a record read anywhere but
// where it was written, one left from an earlier lap, one whose length or kind
// was changed, or random words, all fail it. It is a guard against misplaced
// and stale words, not a signature: a peer that can write the memory could
// compute it.

/** What a record carries. The kinds of message have these codes in the ring. */
export const BYTES = 1
export const STRING = 2
export const VALUE = 3
export const WRAP = 4
export type MessageKind = typeof BYTES | typeof STRING | typeof VALUE

export const RECORD_HEADER_BYTES = 8
const LENGTH_BITS = 29
const LENGTH_MASK = 2 ** LENGTH_BITS - 1

/** The bytes a record carrying `length` bytes takes in the ring. */
export const recordBytes = (length: number) => RECORD_HEADER_BYTES + ((length + 7) & ~7)

/** The largest message a ring of `capacity` bytes carries: a record and a wrap marker always fit. */
export const maxMessageBytes = (capacity: number) => capacity / 2 - RECORD_HEADER_BYTES

/** A record's second word. */
export const kindAndLength = (kind: number, length: number) => (kind << LENGTH_BITS) | length
export const kindOf = (word: number) => word >>> LENGTH_BITS
export const lengthOf = (word: number) => word & LENGTH_MASK

/**
 * The check of a record at stream `position` (bytes written before it, below
 * 2^53) whose second word is `word`. For any one word it differs at every
 * position less than 2^34 bytes (16 GiB of traffic) away, and for any one
 * position at every word: a multiply by an odd constant is a bijection, and
 * the position's low 32 bits (a multiple of 8) and its count of 2^32 laps
 * cannot cancel out in the low three bits.
 */
export function checkOf(position: number, word: number, key: number): number {
  const lap = (position / 2 ** 32) | 0
  return Math.imul(position ^ Math.imul(word, 0x9e3779b1) ^ Math.imul(lap, 0x2545f491) ^ key, 0x85ebca6b)
}
