// Qwen2.5-VL and Qwen3-VL vision towers on the CPU backend against transformers 5.17 (fp32 eager) on random small
// models (test/fixtures/qwen-vision, scripts/gpu/qwen_vision_fixture.py): merged features, DeepStack features, and
// patch / token saliency against HF's own attention probabilities on the last full-attention layer. Two grids in one
// call (10x6 and 4x8 patches, 3 and 2 temporal groups); Qwen2.5-VL's windows include edge windows of 3 sizes.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../../engine/core/backend/cpu/cpu-backend.ts';
import { loadCase, relError, type QwenVisionCase } from './qwen-vision-fixture.ts';

const be = new CpuBackend({ threads: 1 });

describe.each(['qwen25', 'qwen3'] as QwenVisionCase[])('%s vision tower vs HF', (name) => {
  const { tower, pixels, grids, ref } = loadCase(be, name);
  const out = tower.forward(pixels, grids, { saliency: true });

  it('merged features match pooler_output (max|Δ|/max|ref| < 1e-4)', () => {
    expect(out.features.shape).toEqual([61, 24]);
    expect(relError(be.toHost(out.features), ref('merged')!)).toBeLessThan(1e-4);
  });

  it('DeepStack features match deepstack_features', () => {
    if (name === 'qwen25') {
      expect(out.deepstack).toBeUndefined();
      return;
    }
    expect(out.deepstack).toHaveLength(2);
    out.deepstack!.forEach((d, i) => expect(relError(be.toHost(d), ref(`deepstack_${i}`)!)).toBeLessThan(1e-4));
  });

  it('patch and token saliency match HF attention probabilities of the last full-attention layer', () => {
    expect(relError(out.saliency!.patches, ref('patch_saliency')!)).toBeLessThan(1e-4);
    expect(relError(out.saliency!.tokens, ref('token_saliency')!)).toBeLessThan(1e-4);
  });

  it('batches of whole temporal groups give the same results as one batch', () => {
    const split = tower.forward(pixels, grids, { saliency: true, maxRows: 64 });
    expect(relError(be.toHost(split.features), be.toHost(out.features))).toBeLessThan(1e-6);
    expect(relError(split.saliency!.patches, out.saliency!.patches)).toBeLessThan(1e-6);
    split.deepstack?.forEach((d, i) => expect(relError(be.toHost(d), be.toHost(out.deepstack![i]))).toBeLessThan(1e-6));
  });

  it('the check can fail: grids read in the wrong order give different features', () => {
    const swapped = tower.forward(pixels, [{ ...grids[0], h: grids[0].w, w: grids[0].h }, grids[1]]);
    expect(relError(be.toHost(swapped.features), ref('merged')!)).toBeGreaterThan(1e-2);
  });

  it('refuses pixel rows that do not match video_grid_thw, naming both', () => {
    expect(() => tower.forward(pixels.subarray(96), grids)).toThrow(/video_grid_thw implies 244 patch rows of 96 values/);
    expect(() => tower.forward(pixels, [{ t: 3, h: 9, w: 6 }])).toThrow(/multiples of spatial_merge_size 2/);
  });
});
