// Seed 000 "private mapping": writes to a MAP_PRIVATE file mapping are copied
// on write: the process sees them, the file never does, and smaps counts the
// copied pages as Private_Dirty.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Demo, DemoOutput } from './types.js'
import { mapFile, pageSize } from 'mman'

function run(): DemoOutput {
  const dir = mkdtempSync(join(tmpdir(), 'mman-cow-'))
  try {
    const path = join(dir, 'original.txt')
    const original = Buffer.alloc(4 * pageSize, '.')
    original.write('original text', 0)
    writeFileSync(path, original)
    const mapping = mapFile(path, { mode: 'cow' })
    const before = mapping.stats()
    mapping.bytes().set(Buffer.from('PRIVATE COPY!'), 0)
    mapping.bytes()[2 * pageSize] = 0x21
    const after = mapping.stats()
    const seen = Buffer.from(mapping.bytes(0, 13)).toString()
    mapping.unmap()
    const inFile = readFileSync(path).subarray(0, 13).toString()
    const data = {
      mappingSees: seen,
      fileHas: inFile,
      privateDirtyBefore: before.privateDirty,
      privateDirtyAfter: after.privateDirty,
      pagesWritten: 2,
    }
    return {
      text: [
        `Mapped a ${4 * pageSize}-byte file MAP_PRIVATE and wrote to 2 of its 4 pages.`,
        `  the mapping sees:   "${seen}"`,
        `  the file still has: "${inFile}"`,
        `  smaps Private_Dirty: ${before.privateDirty / 1024} KiB before, ${after.privateDirty / 1024} KiB after (one private copy per written page)`,
      ],
      data,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export const cow: Demo = {
  summary: 'a MAP_PRIVATE file mapping written: the file is unchanged, smaps shows Private_Dirty',
  run,
}
