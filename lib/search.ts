// Finding bytes in a mapping of any size. Buffer's own indexOf() cannot be
// given a whole large mapping: its answers are int32 (a match at 2^31 + 5
// comes back as -2147483643 on Node 20 to 26, measured) and Node 20 has no
// ArrayBuffer over 4 GiB at all. So a range is searched in windows of at most
// SEARCH_STRIDE + needle.length - 1 bytes (under 2^31), each overlapping the
// next by needle.length - 1 so that a match across their border is found.
import { invalidArgType, outOfRange } from './errors.js'
import { integer } from './validate.js'

/** Bytes between the starts of two windows. */
export const SEARCH_STRIDE = 2 ** 30
/** The longest needle: a window (stride + needle - 1 bytes) stays under 2^31. */
const MAX_NEEDLE_LENGTH = 2 ** 30

/** What indexOf() and lastIndexOf() look for. */
export type Needle = string | number | ArrayBufferView | ArrayBuffer

/** A Buffer over `length` bytes of the searched memory from `offset`. */
export type WindowAt = (offset: number, length: number) => Buffer

/** The needle as bytes: a string in UTF-8 (as Buffer.indexOf() takes it), a number as one byte. */
export function needleBytes(needle: unknown): Uint8Array {
  let bytes: Uint8Array
  if (typeof needle === 'string') bytes = Buffer.from(needle, 'utf8')
  else if (typeof needle === 'number') bytes = Uint8Array.of(integer(needle, 'needle', 0, 255))
  else if (ArrayBuffer.isView(needle)) bytes = new Uint8Array(needle.buffer, needle.byteOffset, needle.byteLength)
  else if (needle instanceof ArrayBuffer || needle instanceof SharedArrayBuffer) bytes = new Uint8Array(needle)
  else
    throw invalidArgType('needle', 'a string, a byte value (0-255), an ArrayBuffer, a TypedArray or a DataView', needle)
  if (bytes.length > MAX_NEEDLE_LENGTH) throw outOfRange('needle.length', `<= ${MAX_NEEDLE_LENGTH}`, bytes.length)
  return bytes
}

/**
 * A start or end of a search in memory of `length` bytes, read as Python's
 * find() and Buffer's indexOf() read it: a negative one counts from the end,
 * and one outside the memory is clamped to it (find(b, 100) of 10 bytes is
 * -1, find(b'', -100) is 0), as CPython's test_mmap expects.
 */
export function searchBound(value: unknown, name: string, length: number): number {
  const bound = integer(value, name, -Number.MAX_SAFE_INTEGER)
  return bound < 0 ? Math.max(length + bound, 0) : Math.min(bound, length)
}

/** The lowest position in [start, end - needle.length] where the needle is, or -1. */
export function indexOfIn(
  windowAt: WindowAt,
  needle: Uint8Array,
  start: number,
  end: number,
  stride = SEARCH_STRIDE,
): number {
  if (start > end) return -1
  if (needle.length === 0) return start
  for (let from = start; from + needle.length <= end; from += stride) {
    const found = windowAt(from, Math.min(stride + needle.length - 1, end - from)).indexOf(needle)
    if (found !== -1) return from + found
  }
  return -1
}

/** The highest position in [start, end - needle.length] where the needle is, or -1. */
export function lastIndexOfIn(
  windowAt: WindowAt,
  needle: Uint8Array,
  start: number,
  end: number,
  stride = SEARCH_STRIDE,
): number {
  if (start > end) return -1
  if (needle.length === 0) return end
  // Each round looks at the matches that start in [from, last].
  for (let last = end - needle.length; last >= start; last -= stride) {
    const from = Math.max(start, last - stride + 1)
    const found = windowAt(from, last + needle.length - from).lastIndexOf(needle)
    if (found !== -1) return from + found
  }
  return -1
}
