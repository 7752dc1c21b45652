// ArrayBuffer.prototype.slice() copies, so a reader handed `mapping.buffer`
// that reads by slicing it (hyparquet does, for every column chunk) copies
// the file it was meant to read in place. A ViewSlicer has the part of an
// ArrayBuffer's shape such readers use, and its slices are views instead.
import { invalidArgType } from './errors.js'

/**
 * `byteLength` and `slice(start, end)` with ArrayBuffer.prototype.slice's
 * arguments, whose slices are views of a mapping, not copies: the shape of
 * hyparquet's AsyncBuffer. Writing a slice writes the mapping, and unmap()
 * detaches every slice, as it does any view.
 */
export interface ViewSlicer {
  /** The mapping's length now (0 once it was unmapped). */
  readonly byteLength: number
  /**
   * A view of bytes [start, end) of the mapping, the arguments read as
   * ArrayBuffer.prototype.slice reads them: negative counts from the end,
   * out-of-range values are clamped, fractions truncated, NaN is 0, and an
   * end before the start gives an empty slice. At most
   * `buffer.constants.MAX_LENGTH` bytes (ERR_OUT_OF_RANGE beyond).
   * @param start Where the slice begins (default 0).
   * @param end Where it ends (default: the end of the mapping).
   * @throws
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `start` or `end` is not a number (or undefined).
   * - `RangeError` `ERR_OUT_OF_RANGE`: the slice is longer than `buffer.constants.MAX_LENGTH`.
   * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped.
   * @example
   * ```js
   * import { mapFile } from 'mman'
   * import { writeFileSync } from 'node:fs'
   *
   * writeFileSync('hello.txt', 'hello, mapped world')
   * const file = mapFile('hello.txt').viewSlicer()
   * console.log(Buffer.from(file.slice(7, -6)).toString(), file.slice(5, 2).byteLength, file.slice(-5).byteLength)
   * ```
   *
   * ```text
   * mapped 0 5
   * ```
   */
  slice(start?: number, end?: number): ArrayBuffer
}

/** What a ViewSlicer needs of its mapping. */
export interface SlicedMemory {
  readonly length: number
  readonly unmapped: boolean
  window(offset: number, length: number): ArrayBuffer
}

export function viewSlicer(memory: SlicedMemory): ViewSlicer {
  return {
    get byteLength() {
      return memory.unmapped ? 0 : memory.length
    },
    slice(start?: number, end?: number): ArrayBuffer {
      const length = memory.length
      const first = relativeIndex(start, 'start', length, 0)
      const final = relativeIndex(end, 'end', length, length)
      return memory.window(first, Math.max(final - first, 0))
    },
  }
}

/** ArrayBuffer.prototype.slice's reading of an index (ToIntegerOrInfinity, then clamped to [0, length]). */
function relativeIndex(value: unknown, name: string, length: number, otherwise: number): number {
  if (value === undefined) return otherwise
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value)
  const index = Number.isNaN(value) ? 0 : Math.trunc(value)
  // + 0 turns -0 (from -0.5, say) into 0.
  return index < 0 ? Math.max(length + index, 0) : Math.min(index, length) + 0
}
