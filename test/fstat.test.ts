import { closeSync, fstatSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { MAP, MFD, PROT, fstat, memfdCreate, mmap, munmap, pageSize } from '../lib/index.js'
import { expectSyscallError, thrown } from './helpers.js'

const FIELDS = [
  'dev',
  'ino',
  'mode',
  'nlink',
  'uid',
  'gid',
  'rdev',
  'size',
  'blksize',
  'blocks',
  'atimeNs',
  'mtimeNs',
  'ctimeNs',
  'atimeMs',
  'mtimeMs',
  'ctimeMs',
] as const

describe('fstat', () => {
  it('equals fs.fstatSync(fd, { bigint: true }) field by field', () => {
    for (const path of ['/etc/hostname', '/dev/zero', '/proc/self/maps', '/tmp']) {
      const fd = openSync(path, 'r')
      try {
        const ours = fstat(fd)
        const node = fstatSync(fd, { bigint: true })
        for (const field of FIELDS) expect(ours[field], `${path} ${field}`).toBe(node[field])
        expect(ours.mtime.getTime()).toBe(node.mtime.getTime())
      } finally {
        closeSync(fd)
      }
    }
  })

  it('throws EBADF for a closed fd, and argument errors for bad ones', () => {
    const fd = openSync('/etc/hostname', 'r')
    closeSync(fd)
    expectSyscallError(() => fstat(fd), 'EBADF', 'fstat')
    expect(thrown(() => fstat(-1)).code).toBe('ERR_OUT_OF_RANGE')
    expect(thrown(() => fstat('3' as never)).code).toBe('ERR_INVALID_ARG_TYPE')
  })
})

describe('memfdCreate', () => {
  it('makes an in-memory file that can be sized and mapped shared', () => {
    const fd = memfdCreate('mman-test', MFD.CLOEXEC | MFD.ALLOW_SEALING)
    try {
      ftruncateSync(fd, pageSize)
      writeSync(fd, 'via write', 0)
      const buf = mmap(null, pageSize, PROT.READ | PROT.WRITE, MAP.SHARED, fd, 0)
      expect(Buffer.from(buf, 0, 9).toString()).toBe('via write')
      Buffer.from(buf).write('via map', 0)
      expect(readFileSync(`/proc/self/fd/${fd}`).subarray(0, 7).toString()).toBe('via map')
      expect(fstat(fd).size).toBe(BigInt(pageSize))
      munmap(buf)
    } finally {
      closeSync(fd)
    }
  })

  it('validates name and flags', () => {
    expect(thrown(() => memfdCreate(3 as never)).code).toBe('ERR_INVALID_ARG_TYPE')
    expect(thrown(() => memfdCreate('x'.repeat(250))).code).toBe('ERR_INVALID_ARG_VALUE')
    expect(thrown(() => memfdCreate('a\0b')).code).toBe('ERR_INVALID_ARG_VALUE')
    expect(thrown(() => memfdCreate('x', 0x40000000)).code).toBe('ERR_INVALID_ARG_VALUE')
  })
})
