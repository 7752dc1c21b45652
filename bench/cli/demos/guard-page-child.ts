// The child of `mman demo guard-page`: writes a page, then touches the
// PROT_NONE page after it, which ends this process with SIGSEGV.
import { PROT, mapAnonymous, pageSize } from 'mman'

const mapping = mapAnonymous(2 * pageSize)
mapping.protect(PROT.NONE, { offset: pageSize })
const bytes = mapping.bytes()
bytes[0] = 1
console.log(
  `wrote the first page; now touching the PROT_NONE page at 0x${(mapping.address + BigInt(pageSize)).toString(16)}`,
)
bytes[pageSize] = 1
console.log('still alive (this line never prints)')
