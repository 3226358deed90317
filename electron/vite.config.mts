// Node-side bundles, one build per mode:
//   --mode main     electron/main.ts                         -> dist/electron/main.cjs
//   --mode preload  electron/preload.ts                      -> dist/electron/preload.cjs (sandboxed: only 'electron' may stay external)
//   --mode engine   engine/service/engine-host/worker-main.ts -> dist/electron/engine.cjs (runs in a utilityProcess)
//   --mode cli      engine/cli/main.ts                       -> dist/cli/sparsevila.mjs (bin/sparsevila.js runs it)
//                   engine/service/engine-host/worker-main.ts -> dist/cli/engine-worker.mjs (serve mode's engine process)
// The Electron ones must each be a single self-contained CJS file. The CLI is ESM; its commands load lazily, so it has
// shared chunks, kept in dist/cli beside the entries (modules find files relative to their own URL, two levels below
// the package root like engine/service/*.ts). All but the preload keep the package's runtime dependencies external
// (they ship in node_modules, and the native ones cannot be bundled), so tsx is not needed to run any of them.
import { defineConfig } from 'vite';
import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};
const runtimeDeps = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})];
const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

const electronEntries: Record<string, string> = {
  main: 'electron/main.ts',
  preload: 'electron/preload.ts',
  engine: 'engine/service/engine-host/worker-main.ts',
};
const cliEntries: Record<string, string> = {
  sparsevila: 'engine/cli/main.ts',
  'engine-worker': 'engine/service/engine-host/worker-main.ts',
};

export default defineConfig(({ mode }) => {
  const isCli = mode === 'cli';
  const entry = electronEntries[mode];
  if (!entry && !isCli) {
    throw new Error(`electron/vite.config.mts: unknown --mode "${mode}" (use ${[...Object.keys(electronEntries), 'cli'].join(', ')})`);
  }
  const isPreload = mode === 'preload';
  const isExternal = (id: string): boolean => {
    if (id === 'electron' || id.startsWith('electron/')) return true;
    if (nodeBuiltins.includes(id)) return true;
    if (isPreload) return false;
    if (id.endsWith('.node')) return true;
    return runtimeDeps.some((d) => id === d || id.startsWith(`${d}/`));
  };
  const output = isCli
    ? { format: 'es' as const, entryFileNames: '[name].mjs', chunkFileNames: '[name]-[hash].mjs' }
    : { format: 'cjs' as const, entryFileNames: `${mode}.cjs`, codeSplitting: false };
  return {
    root,
    publicDir: false,
    logLevel: 'warn',
    build: {
      ssr: isCli ? true : entry,
      outDir: isCli ? 'dist/cli' : 'dist/electron',
      emptyOutDir: isCli,
      target: 'node20',
      minify: false,
      sourcemap: false,
      rollupOptions: { input: isCli ? cliEntries : undefined, external: isExternal, output },
    },
    ssr: { noExternal: isPreload ? true : undefined, target: 'node' },
  };
});
