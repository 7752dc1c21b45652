import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: {
    // bench/ imports the library by its package name, as users do; the tests
    // run it on the sources, the same module instances the tests import.
    alias: [{ find: /^mman$/, replacement: fileURLToPath(new URL('./lib/index.ts', import.meta.url)) }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // GC-finalization tests call global.gc().
    execArgv: ['--expose-gc'],
    testTimeout: 60_000,
  },
})
