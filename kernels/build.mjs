#!/usr/bin/env node
// `npm run build:addon`: builds kernels/ into kernels/build/Release/sparsevila_kernels.node.
// With nvcc: the CUDA build (archs from SPARSEVILA_CUDA_ARCHS, default 80;86;89;90;120). Without nvcc, or when the
// CUDA build fails: the CPU-only build (CPU references; the GPU functions explain themselves). Without a C++
// toolchain: a message and exit 0 — the engine then runs on its CPU backend without the addon.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const outDir = join(here, 'build');
const log = (msg) => console.log(`[build:addon] ${msg}`);

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}
function findNvcc() {
  if (process.env.SPARSEVILA_ADDON_CPU_ONLY === '1') return null;
  if (onPath('nvcc')) return 'nvcc';
  for (const p of [process.env.CUDACXX, process.env.CUDA_HOME && join(process.env.CUDA_HOME, 'bin/nvcc'),
    '/usr/local/cuda/bin/nvcc']) {
    if (p && existsSync(p)) return p;
  }
  return null;
}
function cmakeJs() {
  try {
    return createRequire(join(root, 'package.json')).resolve('cmake-js/bin/cmake-js');
  } catch {
    return null;
  }
}

function build(cli, withCuda, nvcc) {
  const args = [cli, 'compile', '-d', here, '-O', outDir, '-p', String(Math.max(1, cpus().length)),
    `--CDSPARSEVILA_CUDA=${withCuda ? 'ON' : 'OFF'}`];
  if (withCuda) {
    args.push(`--CDCMAKE_CUDA_ARCHITECTURES=${process.env.SPARSEVILA_CUDA_ARCHS ?? '80;86;89;90;120'}`);
    if (process.env.SPARSEVILA_PTXAS_SPILLS === '1') args.push('--CDSPARSEVILA_WARN_SPILLS=ON');
    if (nvcc !== 'nvcc') args.push(`--CDCMAKE_CUDA_COMPILER=${nvcc}`);
  }
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
  return r.status === 0;
}

function main() {
  const cli = cmakeJs();
  if (!cli) { log('cmake-js is not installed (run npm ci); skipping the native addon — the engine uses the CPU backend.'); return; }
  if (!onPath('cmake')) { log('cmake not found; skipping the native addon — the engine uses the CPU backend.'); return; }
  if (!onPath('c++') && !onPath('g++') && !onPath('clang++')) {
    log('no C++ compiler found; skipping the native addon — the engine uses the CPU backend.');
    return;
  }
  const nvcc = findNvcc();
  if (nvcc) {
    log(`nvcc found (${nvcc}): building with CUDA`);
    if (build(cli, true, nvcc)) { log('built the CUDA addon'); return; }
    log('the CUDA build failed; falling back to the CPU-only addon');
    rmSync(outDir, { recursive: true, force: true });
  } else {
    log('nvcc not found: building the CPU-only addon');
  }
  if (build(cli, false, null)) { log('built the CPU-only addon'); return; }
  log('the CPU-only build failed too (see above); the engine runs without the addon (CPU backend).');
}

main();
