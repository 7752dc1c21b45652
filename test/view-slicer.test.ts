// Mapping.viewSlicer(): ArrayBuffer.prototype.slice's arguments, views instead
// of copies; what hyparquet reads a file through (its AsyncBuffer).
import { constants as bufferConstants } from 'node:buffer'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { parquetReadObjects } from 'hyparquet'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { afterAll, describe, expect, it } from 'vitest'
import { addressOf, mapAnonymous, mapFile } from '../lib/index.js'
import { tempDir, thrown } from './helpers.js'

const { dir, cleanup } = tempDir()
afterAll(cleanup)

describe('viewSlicer()', () => {
  it('slices as ArrayBuffer.prototype.slice does, for any arguments (property)', () => {
    const mapping = mapAnonymous(300)
    const bytes = mapping.bytes()
    for (let i = 0; i < bytes.length; i++) bytes[i] = i
    const copy = bytes.slice().buffer
    const slicer = mapping.viewSlicer()
    const index = fc.oneof(
      fc.integer({ min: -400, max: 400 }),
      fc.double({ min: -400, max: 400 }),
      fc.constantFrom(undefined, Number.NaN, Infinity, -Infinity, -0, -0.5, 0.5),
    )
    fc.assert(
      fc.property(index, index, (start, end) => {
        const view = new Uint8Array(slicer.slice(start, end))
        expect(view).toEqual(new Uint8Array(copy.slice(start, end)))
      }),
      { numRuns: 2000 },
    )
    expect(slicer.byteLength).toBe(300)
    mapping.unmap()
  })

  it('hands out views: no copy, writes reach the mapping, unmap() detaches them', () => {
    const mapping = mapAnonymous(4096)
    const slicer = mapping.viewSlicer()
    const slice = slicer.slice(100, 200)
    expect(addressOf(slice)).toBe(mapping.address + 100n)
    new Uint8Array(slice)[0] = 7
    expect(mapping.bytes()[100]).toBe(7)
    mapping.unmap()
    expect(slice.byteLength).toBe(0)
    expect(slicer.byteLength).toBe(0)
    expect(thrown(() => slicer.slice(0, 1)).code).toBe('ERR_INVALID_STATE')
    expect(thrown(() => mapping.viewSlicer()).code).toBe('ERR_INVALID_STATE')
  })

  it('refuses arguments ArrayBuffer.slice would coerce from other types, and slices larger than one buffer', () => {
    const mapping = mapAnonymous(5 * 2 ** 30, { noReserve: true })
    const slicer = mapping.viewSlicer()
    expect(thrown(() => slicer.slice('1' as never)).code).toBe('ERR_INVALID_ARG_TYPE')
    expect(thrown(() => slicer.slice(0, 1n as never)).code).toBe('ERR_INVALID_ARG_TYPE')
    expect(slicer.slice(-10).byteLength).toBe(10) // the last bytes of 5 GiB, on every line
    if (mapping.length > bufferConstants.MAX_LENGTH) expect(thrown(() => slicer.slice()).code).toBe('ERR_OUT_OF_RANGE')
    else expect(slicer.slice().byteLength).toBe(mapping.length)
    mapping.unmap()
  })
})

describe('hyparquet reading a mapped file through viewSlicer()', () => {
  const rows = 20_000
  const path = join(dir, 'table.parquet')
  writeFileSync(
    path,
    new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'id', data: Array.from({ length: rows }, (_, i) => i), type: 'INT32' },
          { name: 'name', data: Array.from({ length: rows }, (_, i) => `row ${i}`), type: 'STRING' },
          { name: 'score', data: Array.from({ length: rows }, (_, i) => i / 7), type: 'DOUBLE' },
        ],
      }),
    ),
  )

  it('reads the same rows as from a copy of the file, and every slice it takes is a view of the mapping', async () => {
    const mapping = mapFile(path)
    const slicer = mapping.viewSlicer()
    const slices: ArrayBuffer[] = []
    const file = {
      byteLength: slicer.byteLength,
      slice(start: number, end?: number) {
        const slice = slicer.slice(start, end)
        slices.push(slice)
        return slice
      },
    }
    const read = await parquetReadObjects({ file })
    const fromCopy = await parquetReadObjects({ file: mapping.bytes().slice().buffer })
    expect(read).toEqual(fromCopy)
    expect(read).toHaveLength(rows)
    expect(read[12_345]).toEqual({ id: 12_345, name: 'row 12345', score: 12_345 / 7 })
    expect(slices.length).toBeGreaterThan(0)
    for (const slice of slices) expect(addressOf(slice)).toBeGreaterThanOrEqual(mapping.address) // an mman view, not a copy
    mapping.unmap()
    expect(read[0]).toEqual({ id: 0, name: 'row 0', score: 0 }) // numbers and strings are hyparquet's own
  })

  it("an uncompressed binary column's values are views of the mapping: empty after unmap(), unless copied", async () => {
    const blobs = join(dir, 'blobs.parquet')
    const data = Array.from({ length: 1000 }, (_, i) => Uint8Array.of(i & 255, 1, 2))
    writeFileSync(
      blobs,
      new Uint8Array(
        parquetWriteBuffer({ codec: 'UNCOMPRESSED', columnData: [{ name: 'blob', data, type: 'BYTE_ARRAY' }] }),
      ),
    )
    const mapping = mapFile(blobs)
    const read = (await parquetReadObjects({ file: mapping.viewSlicer(), utf8: false })) as { blob: Uint8Array }[]
    const kept = read[5]!.blob.slice()
    expect(read[5]!.blob).toEqual(Uint8Array.of(5, 1, 2))
    mapping.unmap()
    expect(read[5]!.blob.length).toBe(0)
    expect(kept).toEqual(Uint8Array.of(5, 1, 2))
  })
})
