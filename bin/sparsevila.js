#!/usr/bin/env node
// The headless CLI. Runs the bundle `npm run build:cli` writes (dist/cli/sparsevila.mjs, no TypeScript loader
// needed). In a source checkout whose sources are newer than that bundle (or without one), it runs the TypeScript
// sources through tsx (a devDependency) instead, so an edit never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = path.join(root, 'dist', 'cli', 'sparsevila.mjs');
const sources = ['engine', 'electron'].map((d) => path.join(root, d)).filter((d) => existsSync(d));

function newestSourceMtime() {
  let newest = 0;
  for (const dir of sources) {
    for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (e.isFile() && e.name.endsWith('.ts')) newest = Math.max(newest, statSync(path.join(e.parentPath ?? e.path, e.name)).mtimeMs);
    }
  }
  return newest;
}

async function fromSource(why) {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    console.error(`sparsevila: ${why}, and tsx is not installed to run the sources.\nIn the project folder, run \`npm install\` and then \`npm run build:cli\`.`);
    process.exit(1);
  }
  register();
  return (await import('../engine/cli/main.ts')).main;
}

async function loadMain() {
  if (!existsSync(bundle)) return fromSource(`the CLI is not built (${bundle} is missing)`);
  if (newestSourceMtime() > statSync(bundle).mtimeMs) {
    return fromSource(`the CLI bundle is older than the sources in ${sources.join(' and ')} (npm run build:cli updates it)`);
  }
  return (await import(new URL('../dist/cli/sparsevila.mjs', import.meta.url).href)).main;
}

const main = await loadMain();
process.exitCode = await main(process.argv.slice(2));
