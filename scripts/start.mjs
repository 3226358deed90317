#!/usr/bin/env node
// `npm start`: make sure Electron's binary is there (fetched on first use), build, and launch the desktop app.
// Where the binary cannot be fetched (offline, blocked), say so plainly and point at serve mode, which needs no
// Electron: the same app in a browser window.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** One paragraph: what failed, why, and the browser alternative (serve mode needs no Electron). */
function serveHint(what) {
  const text =
    `npm start: ${what}, so the desktop window cannot open. The same app runs in your browser without Electron: ` +
    '`npm run serve` builds the renderer and prints a http://127.0.0.1:PORT/?token=... URL to open (after ' +
    '`npm run build:renderer`, `npx sparsevila serve` does the same). To get the desktop app, allow downloads from ' +
    'github.com or set ELECTRON_MIRROR, and run `npm start` again.';
  return text.replace(/(.{1,100})(?: |$)/g, '$1\n').trimEnd();
}

/** The first line of a failed download's output that says what went wrong (not a stack frame). */
function firstReason(output) {
  const line = output.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('at ')) ?? 'no output';
  return line.replace(/^(TypeError|Error|HTTPError|RequestError): /, '');
}

// electron >= 42 downloads its binary on first use. Its install script runs here with its output captured (require
// ('electron') would run it with a raw stack trace on failure); it exits at once when the binary is already there.
function electronPath() {
  const pkgDir = path.dirname(require.resolve('electron/package.json'));
  const { version } = require('electron/package.json');
  if (!existsSync(path.join(pkgDir, 'path.txt'))) console.log(`npm start: fetching Electron ${version}'s binary (first run, about 100 MB)...`);
  const install = spawnSync(process.execPath, [path.join(pkgDir, 'install.js')], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (install.status !== 0) {
    const why = firstReason(`${install.error?.message ?? ''}\n${install.stderr ?? ''}\n${install.stdout ?? ''}`);
    throw new Error(`Electron ${version}'s binary could not be downloaded (${why}${/fetch failed|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN/.test(why) ? ': is this machine offline?' : ''})`);
  }
  const exe = require('electron');
  if (typeof exe !== 'string' || !existsSync(exe)) throw new Error(`Electron's binary is missing after its install (${exe})`);
  return exe;
}

let electron;
try {
  electron = electronPath();
} catch (err) {
  console.error(serveHint(String(err?.message ?? err).split('\n')[0]));
  process.exit(1);
}

const build = spawnSync(npm, ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
if (build.status !== 0) {
  console.error('npm start: the build failed (see above).');
  process.exit(build.status ?? 1);
}

const child = spawn(electron, [root, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
child.on('error', (err) => {
  console.error(serveHint(`Electron's binary could not be run (${path.relative(root, electron)}: ${err.message})`));
  process.exit(1);
});
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
