// `npm start` where Electron's binary cannot be downloaded: one paragraph naming the cause and pointing at serve mode,
// exit 1, no raw `fetch failed` stack. Runs scripts/start.mjs beside a copy of the electron package (no binary) whose
// download goes to a closed loopback port, with an empty download cache.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../../engine/service/paths.ts';

const root = packageRoot();

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('npm start without a downloadable Electron', () => {
  it('prints one paragraph pointing at serve mode, no stack trace', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'sv-start-'));
    try {
      mkdirSync(path.join(work, 'scripts'));
      copyFileSync(path.join(root, 'scripts', 'start.mjs'), path.join(work, 'scripts', 'start.mjs'));
      const electron = path.join(work, 'node_modules', 'electron');
      mkdirSync(electron, { recursive: true });
      for (const f of ['package.json', 'index.js', 'install.js', 'checksums.json']) copyFileSync(path.join(root, 'node_modules', 'electron', f), path.join(electron, f));
      symlinkSync(realpathSync(path.join(root, 'node_modules', '@electron')), path.join(work, 'node_modules', '@electron'));
      const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_MIRROR: `http://127.0.0.1:${await closedPort()}/`, electron_config_cache: path.join(work, 'cache') };
      delete env.ELECTRON_OVERRIDE_DIST_PATH;
      const r = spawnSync(process.execPath, [path.join(work, 'scripts', 'start.mjs')], { cwd: work, env, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(1);
      const message = r.stderr.trim();
      const words = message.replace(/\s+/g, ' ');
      expect(words).toMatch(/^npm start: Electron [\d.]+'s binary could not be downloaded \(fetch failed: is this machine offline\?\)/);
      expect(words).toContain('`npm run serve` builds the renderer');
      expect(message).not.toMatch(/\n\s*\n/); // one paragraph
      expect(message).not.toMatch(/^\s+at /m); // no stack frames
      expect(message).not.toMatch(/TypeError/);
      expect(r.stdout).not.toContain('Downloading Electron binary'); // electron's own index.js did not run the download
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 90_000);
});
