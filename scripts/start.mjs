#!/usr/bin/env node
// `npm start`: make sure Electron's binary is there (fetched on first use), build, and launch the desktop app.
// Where the binary cannot be fetched (offline, blocked), say so plainly and point at serve mode, which needs no
// Electron: the same app in a browser window.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function serveHint(reason) {
  return [
    '',
    'SparseVILA Desktop: the Electron binary is not available, so the desktop window cannot open.',
    `  reason: ${reason}`,
    '',
    'Run the same app in your browser instead (serve mode, no Electron needed):',
    '  npm run serve            # builds the renderer, then prints http://127.0.0.1:PORT/?token=...',
    '  (or: npx sparsevila serve, after `npm run build:renderer`)',
    'and open the printed URL. To get the desktop app, allow downloads from github.com (or set',
    'ELECTRON_MIRROR) and run `npm start` again.',
    '',
  ].join('\n');
}

let electronPath;
try {
  // The electron package downloads its binary the first time it is required (electron >= 42 has no install script).
  electronPath = require('electron');
  if (typeof electronPath !== 'string') throw new Error('the electron package did not return an executable path');
} catch (err) {
  console.error(serveHint(String(err?.message ?? err).split('\n')[0]));
  process.exit(1);
}

const build = spawnSync(npm, ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
if (build.status !== 0) {
  console.error('npm start: the build failed (see above).');
  process.exit(build.status ?? 1);
}

const child = spawn(electronPath, [root, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
child.on('error', (err) => {
  console.error(serveHint(`could not run ${path.relative(root, electronPath)}: ${err.message}`));
  process.exit(1);
});
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
