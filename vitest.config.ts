import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // GC-finalization tests call global.gc().
    execArgv: ['--expose-gc'],
    testTimeout: 60_000,
  },
})
