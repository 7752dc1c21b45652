// The house rules, checked from the TypeScript compiler's own reading of the imports:
// - lib/ is the library: it imports only lib/, Node's core modules and node-gyp-build
//   (which loads its addon).
// - bench/ (the mman command, the suites, the report) uses the library as its users do,
//   through the package's public entry `mman`; the one exception is bench/tools.ts, which
//   loads the tools addon with lib/addon.ts, the way the library loads its own.
// - Nothing runs in a circle at run time.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'library-stays-inside',
      comment: 'lib/ imports only lib/, node: modules and node-gyp-build',
      severity: 'error',
      from: { path: '^lib/' },
      to: { pathNot: ['^lib/', '^node_modules/node-gyp-build/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'bench-uses-the-public-entry',
      comment: "bench/ imports the library as 'mman' (dist/lib/index.js), not its files",
      severity: 'error',
      from: { path: '^bench/', pathNot: '^bench/tools\\.ts$' },
      to: { path: ['^lib/', '^dist/lib/(?!index\\.(js|d\\.ts)$)'] },
    },
    {
      name: 'tools-loader-only-addon',
      comment: 'bench/tools.ts reaches into lib/ for the addon loader only',
      severity: 'error',
      from: { path: '^bench/tools\\.ts$' },
      to: { path: '^lib/', pathNot: '^lib/addon\\.ts$' },
    },
    {
      name: 'no-circular',
      comment: 'no module reaches itself at run time (a type-only import back, as usage.ts has of command.ts, is fine)',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules', '^dist/'] },
    exclude: { path: ['^dist/', '^build/', 'node_modules'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
}
