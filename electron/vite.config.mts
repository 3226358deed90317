// Electron build, one bundle per mode (each must be a single self-contained CJS file):
//   --mode main     electron/main.ts                         -> dist/electron/main.cjs
//   --mode preload  electron/preload.ts                      -> dist/electron/preload.cjs (sandboxed: only 'electron' may stay external)
//   --mode engine   engine/service/engine-host/worker-main.ts -> dist/electron/engine.cjs (runs in a utilityProcess)
// main and engine keep the package's runtime dependencies external (they ship in app.asar's node_modules, and the
// native ones cannot be bundled); the preload bundles everything.
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

const entries: Record<string, string> = {
  main: 'electron/main.ts',
  preload: 'electron/preload.ts',
  engine: 'engine/service/engine-host/worker-main.ts',
};

export default defineConfig(({ mode }) => {
  const entry = entries[mode];
  if (!entry) throw new Error(`electron/vite.config.mts: unknown --mode "${mode}" (use ${Object.keys(entries).join(', ')})`);
  const isPreload = mode === 'preload';
  const isExternal = (id: string): boolean => {
    if (id === 'electron' || id.startsWith('electron/')) return true;
    if (nodeBuiltins.includes(id)) return true;
    if (isPreload) return false;
    if (id.endsWith('.node')) return true;
    return runtimeDeps.some((d) => id === d || id.startsWith(`${d}/`));
  };
  return {
    root,
    publicDir: false,
    logLevel: 'warn',
    build: {
      ssr: entry,
      outDir: 'dist/electron',
      emptyOutDir: false,
      target: 'node20',
      minify: false,
      sourcemap: false,
      rollupOptions: {
        external: isExternal,
        output: { format: 'cjs', entryFileNames: `${mode}.cjs`, codeSplitting: false },
      },
    },
    ssr: { noExternal: isPreload ? true : undefined, target: 'node' },
  };
});
