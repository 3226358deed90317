// The CLI and serve mode's engine process run from the bundles `npm run build:cli` writes (npm test builds first),
// without tsx: here any import of tsx is refused by a module hook, in the CLI and in the engine process it starts.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tmpDir } from '../service/fixture.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('bundled CLI', () => {
  it('is built, and tsx is only a devDependency', () => {
    for (const f of ['dist/cli/sparsevila.mjs', 'dist/cli/engine-worker.mjs']) {
      expect(existsSync(path.join(root, f)), `${f} is missing: run \`npm run build:cli\``).toBe(true);
    }
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    expect(pkg.dependencies.tsx).toBeUndefined();
    expect(pkg.devDependencies.tsx).toBeDefined();
  });

  it('serves with its engine process running without tsx, and logs to <data>/logs/serve.log', async () => {
    const dir = tmpDir('sv-bundle-');
    dirs.push(dir);
    const hook = path.join(dir, 'refuse-tsx.mjs');
    writeFileSync(
      hook,
      `import { register } from 'node:module';\n` +
        `register('data:text/javascript,export async function resolve(s, c, next) { if (s === "tsx" || s.startsWith("tsx/")) throw new Error("tsx is refused"); return next(s, c); }');\n`,
    );
    const rendererDir = path.join(dir, 'renderer');
    mkdirSync(rendererDir);
    writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html>');
    const dataDir = path.join(dir, 'data');
    const serve = spawn(process.execPath, ['bin/sparsevila.js', 'serve', '--port', '0', '--data', dataDir, '--renderer', rendererDir], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: `--import=${hook}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    serve.stdout.on('data', (c: Buffer) => (out += c.toString()));
    serve.stderr.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await vi.waitFor(() => expect(out).toMatch(/\[engine\] ready \(pid \d+\)/), { timeout: 30_000, interval: 100 });
      expect(out).toMatch(/SparseVILA serve: http:\/\/127\.0\.0\.1:\d+\//);
      expect(out).not.toMatch(/tsx is refused/);
      const log = path.join(dataDir, 'logs', 'serve.log');
      await vi.waitFor(() => expect(readFileSync(log, 'utf8')).toMatch(/"proc":"engine".*"msg":"engine ready on/), { timeout: 5_000 });
    } finally {
      serve.kill('SIGTERM');
    }
  }, 60_000);
});
