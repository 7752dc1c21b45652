// A CommonJS consumer: `require('mman')` resolves the package's types (TypeScript
// >= 5.8 under module nodenext types require() of an ES module as Node runs it).
import mman = require('mman')

const flags: number = mman.MAP.PRIVATE | mman.MAP.ANONYMOUS | mman.MAP.FIXED_NOREPLACE
const mapping: mman.Mapping = mman.mapAnonymous(mman.pageSize)
const view: Uint8Array = mapping.bytes()
mapping.unmap()
// @ts-expect-error mapFile takes a path or a file descriptor, so the types are real, not any
mman.mapFile({ path: 'x' })
export { flags, view }
