// An ES module consumer: `import ... from 'mman'` resolves the same types.
import { MAP, MADV, mapFile, type Mapping, type Stat, fstat } from 'mman'

const flags: number = MAP.SHARED_VALIDATE | MAP.FIXED_NOREPLACE | MAP.HUGE_2MB
const mapping: Mapping = mapFile('package.json', { advice: MADV.SEQUENTIAL })
const size: bigint | number = (fstat(0) satisfies Stat).size
mapping.unmap()
// @ts-expect-error the mode is 'r', 'rw' or 'cow'
mapFile('package.json', { mode: 'w' })
export { flags, size }
