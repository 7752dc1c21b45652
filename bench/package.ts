// The mman package this code ships in, found by its own name: a package may
// import itself through its "exports" (package.json exports "./package.json"),
// from the sources, from dist/ and from node_modules/mman alike.
import { createRequire } from 'node:module'
import { dirname } from 'node:path'

const require = createRequire(import.meta.url)

/** The package's root directory (where package.json and bench/c/ are). */
export const packageRoot = dirname(require.resolve('mman/package.json'))

/** The version in mman's package.json. */
export const mmanVersion = (require('mman/package.json') as { version: string }).version
