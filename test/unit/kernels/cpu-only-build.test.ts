// The CPU-only addon (what a machine without nvcc builds) compiles, loads, reports "no GPU, using CPU", keeps its
// CPU references working, and answers GPU calls with an error instead of crashing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ADDON_FUNCTIONS, type KernelsAddon } from '../../../engine/core/backend/cuda/addon.ts';

const root = resolve(import.meta.dirname, '../../..');
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const cmakeJs = join(root, 'node_modules/cmake-js/bin/cmake-js');
const canBuild = have('cmake') && (have('c++') || have('g++')) && existsSync(cmakeJs);
if (!canBuild) console.warn('cpu-only addon build test skipped: cmake, a C++ compiler or cmake-js is missing');

describe.skipIf(!canBuild)('CPU-only native addon', () => {
  const out = mkdtempSync(join(tmpdir(), 'sv-addon-cpu-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('builds without CUDA, loads, and falls back clearly', () => {
    const r = spawnSync(process.execPath, [cmakeJs, 'compile', '-d', join(root, 'kernels'), '-O', out, '-p', '2',
      '--CDSPARSEVILA_CUDA=OFF'], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const addon = createRequire(import.meta.url)(join(out, 'Release/sparsevila_kernels.node')) as KernelsAddon;
    expect(Object.keys(addon).sort()).toEqual([...ADDON_FUNCTIONS].sort());  // the same entry points as the CUDA build
    const info = addon.info();
    expect(info.built).toBe('cpu');
    expect(info.available).toBe(false);
    expect(info.error).toMatch(/no GPU, using CPU .*without CUDA/);
    expect(Array.from(addon.cpuTopk(new Float32Array([3, 1, 2]), 2))).toEqual([0, 2]);
    expect(() => addon.alloc(16)).toThrow(/built without CUDA/);
    expect(() => addon.configure({ decodeAttention: 'v4' })).toThrow(/built without CUDA/);
    expect(() => addon.attention(0, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, -1, null)).toThrow(/built without CUDA/);
  }, 180_000);
});
