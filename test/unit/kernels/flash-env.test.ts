import { describe, expect, it } from 'vitest';
import type { KernelsAddon } from '../../../engine/core/backend/cuda/addon.ts';
import { applyFlashEnv } from '../../../engine/core/backend/cuda/flash-env.ts';

function fakeAddon() {
  const calls: string[] = [];
  const addon = {
    setFlash: (on: boolean) => { calls.push(`flash ${on}`); },
    setFlashVersion: (v: number) => { calls.push(`version ${v}`); },
  } as unknown as KernelsAddon;
  return { addon, calls };
}

describe('SPARSEVILA_FLASH', () => {
  it('leaves the addon default when unset', () => {
    const { addon, calls } = fakeAddon();
    applyFlashEnv(addon, undefined);
    applyFlashEnv(addon, ' ');
    expect(calls).toEqual([]);
  });
  it('turns flash off or picks a version', () => {
    const { addon, calls } = fakeAddon();
    applyFlashEnv(addon, 'off');
    applyFlashEnv(addon, '0');
    applyFlashEnv(addon, '3');
    applyFlashEnv(addon, 'auto');
    expect(calls).toEqual(['flash false', 'flash false', 'version 3', 'flash true', 'version 0', 'flash true']);
  });
  it('rejects other values', () => {
    const { addon } = fakeAddon();
    expect(() => applyFlashEnv(addon, '12')).toThrow(/off, auto or 1-11/);
    expect(() => applyFlashEnv(addon, 'fast')).toThrow(/off, auto or 1-11/);
  });
});
