// Our frame preprocessing vs Hugging Face's LlavaOnevisionVideoProcessor (transformers 5.17, CPU), run on the GPU
// machine by scripts/gpu/processor_fixture.py over the committed raw frames. Also checks the Pillow flavour
// against Pillow's own BICUBIC resize from the same run.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadPreprocessConfig } from '../../../engine/core/video/preprocess-config.ts';
import { preprocessFrames } from '../../../engine/core/video/preprocess.ts';
import { resizeRgb } from '../../../engine/core/video/resize.ts';

const dir = path.resolve(import.meta.dirname, '../../fixtures/video');
const sets = [
  { name: 'small', w: 96, h: 64, f: 3 },
  { name: 'large', w: 640, h: 360, f: 2 },
];

function frames(name: string, w: number, h: number, f: number): Uint8Array[] {
  const raw = readFileSync(path.join(dir, `${name}_${w}x${h}x${f}.rgb`));
  return Array.from({ length: f }, (_, i) => new Uint8Array(raw.subarray(i * w * h * 3, (i + 1) * w * h * 3)));
}

describe('preprocessing matches the HF processor', () => {
  const cfg = loadPreprocessConfig(dir);

  it('reads the checkpoint preprocessor config', () => {
    expect(cfg).toMatchObject({ width: 384, height: 384, resample: 'bicubic', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
  });

  for (const s of sets) {
    it(`${s.name} ${s.w}x${s.h} -> 384x384 pixel_values within 1/255`, () => {
      const pv = preprocessFrames(frames(s.name, s.w, s.h, s.f), s.w, s.h, cfg);
      const hf = gunzipSync(readFileSync(path.join(dir, `${s.name}.hf_u8.gz`)));
      expect(pv.length).toBe(s.f * 3 * 384 * 384);
      expect(hf.length).toBe(pv.length);
      let maxDiff = 0;
      for (let i = 0; i < pv.length; i++) {
        const c = Math.floor(i / (384 * 384)) % 3;
        const expected = (hf[i] / 255 - cfg.mean[c]) / cfg.std[c];
        // Compare in the rescaled [0, 1] domain: |Δ| * std.
        maxDiff = Math.max(maxDiff, Math.abs(pv[i] - expected) * cfg.std[c]);
      }
      expect(maxDiff).toBeLessThanOrEqual(1 / 255 + 1e-6);
      // In fact the resize is bit-exact; only float rounding remains.
      expect(maxDiff).toBeLessThan(1e-5);
    });

    it(`${s.name}: the Pillow flavour equals Pillow's BICUBIC resize`, () => {
      const pil = gunzipSync(readFileSync(path.join(dir, `${s.name}.pil_u8.gz`)));
      frames(s.name, s.w, s.h, s.f).forEach((fr, i) => {
        const ours = resizeRgb(fr, s.w, s.h, 384, 384, 'bicubic', 'pil');
        const ref = pil.subarray(i * 384 * 384 * 3, (i + 1) * 384 * 384 * 3);
        expect(Buffer.compare(Buffer.from(ours), ref)).toBe(0);
      });
    });
  }
});
