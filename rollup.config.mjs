// The `maskinporten` command as it ships: dist/cli/main.js and the ES modules it loads, compiled by tsc, bundled into
// CommonJS (dist/cli/main.cjs, which dist/cli/bin.cjs requires, and one chunk per part loaded on demand, such as each
// command). A run then resolves, links and compiles a few files instead of some forty ES modules one by one: a cold
// `maskinporten token` takes about three quarters of the time (BENCHMARKS.md). Node's built-ins and the short way's
// own CommonJS modules (bin.cts, run-cache.cts, cache-files.cts, dotenv-text.cts, required at run time) stay outside.
export default {
  input: 'dist/cli/main.js',
  external: (id) => id.startsWith('node:'),
  output: {
    dir: 'dist/cli',
    format: 'cjs',
    entryFileNames: 'main.cjs',
    // Beside the short way's modules: a chunk's `createRequire(import.meta.url)` finds them as `./cache-files.cjs`.
    chunkFileNames: 'main-[name]-[hash].cjs',
    generatedCode: 'es2015',
  },
  onwarn(warning, warn) {
    // Every warning fails the build: a bundle that differs from the modules it is made of is not shipped.
    throw new Error(`rollup: ${warning.message}`)
  },
}
