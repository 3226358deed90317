// The addon's entry points are declared once in C++ (kernels/src/entry_points.h) and typed once in TS (ADDON_FUNCTIONS
// in engine/core/backend/cuda/addon.ts): the built addon must export exactly the declared names, and `configure`
// must take and report the kernel configuration. (cpu-only-build.test.ts checks the CPU-only build's names.)
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADDON_FUNCTIONS, loadAddon, missingFunctions } from '../../../engine/core/backend/cuda/addon.ts';

const status = loadAddon();
const root = resolve(import.meta.dirname, '../../..');
if (!status.addon) console.warn(`addon entry-point test skipped: ${status.message}`);

describe('addon entry points', () => {
  it('are listed once in C++ in the order ADDON_FUNCTIONS has them', () => {
    const header = readFileSync(resolve(root, 'kernels/src/entry_points.h'), 'utf8');
    const names = [...header.matchAll(/^\s*X\((\w+), \w+\)/gm)].map((m) => m[1]);
    expect(names).toEqual([...ADDON_FUNCTIONS]);
  });

  it.skipIf(!status.addon)('the built addon exports exactly the declared functions', () => {
    expect(Object.keys(status.addon!).sort()).toEqual([...ADDON_FUNCTIONS].sort());
    expect(missingFunctions(status.addon!)).toEqual([]);
  });

  it('an addon built from older sources is named as out of date', () => {
    const old = Object.fromEntries(ADDON_FUNCTIONS.filter((n) => n !== 'configure').map((n) => [n, () => undefined]));
    expect(missingFunctions(old)).toEqual(['configure']);
  });

  it.skipIf(status.info?.built !== 'cuda')('configure sets the given fields, reports all of them, and rejects bad ones', () => {
    const a = status.addon!;
    const defaults = a.configure();
    expect(defaults).toEqual({ prefillAttention: 'auto', decodeAttention: 'auto', saliency: 'tensor-core', gemvLinear: false, gemvPdl: true });
    try {
      expect(a.configure({ decodeAttention: 'v4', gemvPdl: false })).toEqual({ ...defaults, decodeAttention: 'v4', gemvPdl: false });
      expect(() => a.configure({ decodeAttention: 'v5' as never })).toThrow(/decodeAttention must be one of 'auto', 'v4', 'v9', 'split'/);
      expect(() => a.configure({ flash: true } as never)).toThrow(/unknown field 'flash'/);
      expect(() => a.configure({ gemvLinear: 1 as never })).toThrow(/gemvLinear must be a boolean/);
      expect(a.configure()).toEqual({ ...defaults, decodeAttention: 'v4', gemvPdl: false });  // a refused call changes nothing
    } finally {
      a.configure(defaults);
    }
  });
});
