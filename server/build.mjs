// Builds the server into a few ES modules with esbuild: loading one bundle instead of ~900 files
// takes half a second off `billfold start` (startup is a benchmark). Types are checked by `npm run check`.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: ['src/cli/main.ts', 'src/server.ts', 'src/cli/demo.ts', 'src/time/index.ts'],
  outdir: 'dist',
  outbase: 'src',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  // PGlite finds its WebAssembly beside its own module, argon2 is a native addon, pdfkit reads its font
  // metrics from its own folder: they stay packages. @fastify/cookie loads `cookie` with a dynamic
  // import(); bundled, a CommonJS module answers that with a default export only, while Node itself
  // gives its named exports too (we run cookie 1.x, CommonJS, because 2.x wants Node 22).
  external: ['@electric-sql/pglite', '@node-rs/argon2', 'pg-native', 'pdfkit', 'cookie'],
  // Bundled CommonJS dependencies (pg-boss, pg) call require().
  banner: {
    js: "import { createRequire as __billfoldRequire } from 'node:module'; const require = __billfoldRequire(import.meta.url);",
  },
});
