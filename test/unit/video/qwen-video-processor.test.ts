// Our Qwen2.5-VL / Qwen3-VL video preprocessing vs transformers 5.17's Qwen2VLVideoProcessor / Qwen3VLVideoProcessor,
// run on the GPU machine by scripts/gpu/qwen_processor_fixture.py over the committed frames (test/fixtures/qwen-processor):
// the same frames in give the same video_grid_thw and pixel_values_videos (bit-exact: the resize, and HF's
// float32 normalization arithmetic reproduced), HF's sampled frame numbers and Qwen3-VL's timestamp text, and smart_resize's
// sizes on 600 random cases.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadVideoPreprocess } from '../../../engine/core/video/preprocess-config.ts';
import { parseQwenVideoConfig, withQwenOverrides, type QwenVideoConfig } from '../../../engine/core/video/qwen-video-config.ts';
import {
  preprocessQwenFrames, qwen3FrameGroupTimestamps, qwen3TimestampText, qwen3VideoPlaceholder, qwenSampleIndices, qwenVideoTokenCount,
  secondPerGridTs, smartResizeFrame, smartResizeVideo,
} from '../../../engine/core/video/qwen-video-processor.ts';

const dir = path.resolve(import.meta.dirname, '../../fixtures/qwen-processor');
const hf = JSON.parse(readFileSync(path.join(dir, 'hf/cases.json'), 'utf8'));
const FRAMES: Record<string, [number, number, number]> = { clipA: [150, 98, 5], clipB: [200, 120, 4], clipC: [70, 42, 3], clipD: [24, 40, 2] };

function frames(name: string): { list: Uint8Array[]; w: number; h: number } {
  const [w, h, f] = FRAMES[name];
  const raw = gunzipSync(readFileSync(path.join(dir, `${name}_${w}x${h}x${f}.rgb.gz`)));
  return { list: Array.from({ length: f }, (_, i) => new Uint8Array(raw.subarray(i * w * h * 3, (i + 1) * w * h * 3))), w, h };
}

const configs: Record<string, QwenVideoConfig> = {
  qwen25: loadVideoPreprocess(path.join(dir, 'qwen25'), 'qwen2.5-vl') as QwenVideoConfig,
  qwen3: loadVideoPreprocess(path.join(dir, 'qwen3'), 'qwen3-vl') as QwenVideoConfig,
};

/** The processor call's overrides as HF 5.17 applies them: `size` replaces the budget; a lone min_pixels or
 *  max_pixels at call time is ignored (only the two together replace size). */
function applyOverrides(cfg: QwenVideoConfig, o: Record<string, unknown>): QwenVideoConfig {
  const size = o.size as { shortest_edge: number; longest_edge: number } | undefined;
  return size ? { ...cfg, minPixels: size.shortest_edge, maxPixels: size.longest_edge } : cfg;
}

describe('Qwen video processor configs', () => {
  it('reads the published Qwen2.5-VL preprocessor_config.json (min/max_pixels) and Qwen3-VL video_preprocessor_config.json (size)', () => {
    expect(configs.qwen25).toMatchObject({ family: 'qwen2.5-vl', patchSize: 14, temporalPatchSize: 2, mergeSize: 2, minPixels: 3136, maxPixels: 12845056, resample: 'bicubic', fps: 2, minFrames: 4, maxFrames: 768 });
    expect(configs.qwen3).toMatchObject({ family: 'qwen3-vl', patchSize: 16, minPixels: 4096, maxPixels: 25165824, mean: [0.5, 0.5, 0.5], fps: 2, minFrames: 4, maxFrames: 768 });
    // The same settings HF's from_pretrained reported.
    expect(hf.processors.qwen25.settings.size).toContain('longest_edge=12845056, shortest_edge=3136');
    expect(hf.processors.qwen3.settings.size).toContain('longest_edge=25165824, shortest_edge=4096');
  });

  it('refuses bad values with the key named', () => {
    expect(() => parseQwenVideoConfig({ patch_size: 0 }, 'qwen3-vl', 'x.json')).toThrow(/x.json: patch_size must be an integer >= 1/);
    expect(() => parseQwenVideoConfig({ size: { shortest_edge: 10, longest_edge: 5 } }, 'qwen3-vl')).toThrow(/minimum 10 exceeds its maximum 5/);
    expect(() => parseQwenVideoConfig({ image_std: [1, 0, 1] }, 'qwen2.5-vl')).toThrow(/image_std must be positive/);
    expect(() => parseQwenVideoConfig({ fps: -1 }, 'qwen2.5-vl')).toThrow(/fps must be a positive number/);
    expect(() => withQwenOverrides(configs.qwen3, { maxPixels: 100 })).toThrow(/at least the model's minimum 4096/);
  });
});

describe('pixel_values_videos and video_grid_thw match HF', () => {
  for (const [name, c] of Object.entries(hf.pixel_cases) as [string, any][]) {
    it(`${name} (${c.frames}, ${JSON.stringify(c.overrides)})`, () => {
      expect(c.error).toBeUndefined();
      const cfg = applyOverrides(configs[c.family], c.overrides);
      const { list, w, h } = frames(c.frames);
      const out = preprocessQwenFrames(list, w, h, cfg);
      expect([out.grid.t, out.grid.h, out.grid.w]).toEqual(c.grid[0]);
      const cols = 3 * cfg.temporalPatchSize * cfg.patchSize ** 2;
      expect([out.pixelValues.length / cols, cols]).toEqual(c.shape);
      // Floats: HF's first 256 values, bit for bit.
      const head: number[] = c.head;
      const headDiff = Math.max(...head.map((v, i) => Math.abs(out.pixelValues[i] - v)));
      expect(headDiff).toBe(0);
      // Every value, de-normalized to 0..255 as the fixture stored HF's: the resize is bit-exact.
      const want = gunzipSync(readFileSync(path.join(dir, `hf/${name}.u8.gz`)));
      const per = cfg.temporalPatchSize * cfg.patchSize ** 2;
      let mismatches = 0;
      for (let i = 0; i < out.pixelValues.length; i++) {
        const ch = Math.floor((i % cols) / per);
        const u = Math.min(255, Math.max(0, Math.round((out.pixelValues[i] * cfg.std[ch] + cfg.mean[ch]) * 255)));
        if (u !== want[i]) mismatches++;
      }
      expect(want.length).toBe(out.pixelValues.length);
      expect(mismatches).toBe(0);
    });
  }
});

describe('frame sampling matches HF sample_frames', () => {
  for (const [key, c] of Object.entries(hf.sampling_cases) as [string, any][]) {
    // Qwen2VLVideoProcessor has no fps of its own (HF refuses to sample without one; we use qwen-vl-utils' 2), and
    // Qwen3VLVideoProcessor refuses num_frames with its default fps: neither case has HF indices to compare.
    if (c.error) continue;
    it(key, () => {
      const k = c.kwargs as { fps?: number; num_frames?: number; max_frames?: number; min_frames?: number };
      if (k.num_frames !== undefined) return; // count sampling is the app's uniform mode, not the processor's
      // HF 5.17: Qwen2VL takes min/max_frames at call time; Qwen3VL reads only the processor's own.
      const callFrames = c.family === 'qwen25' ? { maxFrames: k.max_frames, minFrames: k.min_frames } : {};
      const cfg: QwenVideoConfig = { ...configs[c.family], fps: k.fps ?? configs[c.family].fps };
      if (callFrames.maxFrames !== undefined) cfg.maxFrames = callFrames.maxFrames;
      if (callFrames.minFrames !== undefined) cfg.minFrames = callFrames.minFrames;
      const ours = qwenSampleIndices(cfg, c.total, c.video_fps);
      expect(ours).toEqual(c.frames_indices);
      // The pixels HF kept are those frames (the last temporal patch padded with the last one).
      const padded = [...ours];
      while (padded.length % cfg.temporalPatchSize) padded.push(padded[padded.length - 1]);
      expect(padded).toEqual(c.patch_indices);
      if (c.family === 'qwen3') {
        const stamps = qwen3FrameGroupTimestamps(ours, c.video_fps, cfg.temporalPatchSize);
        expect(stamps).toEqual(c.timestamps);
        expect(stamps.map(qwen3TimestampText).join('')).toBe(c.timestamp_text);
      }
    });
  }

  it('a video too short for Qwen2.5-VL is refused with a reason', () => {
    expect(() => qwenSampleIndices(configs.qwen25, 1, 30)).toThrow(/1-frame video is too short for Qwen2.5-VL/);
    expect(qwenSampleIndices(configs.qwen3, 1, 30)).toEqual([0]);
  });
});

describe('smart_resize matches HF on random sizes and budgets', () => {
  it('Qwen2VL (per frame, factor 28)', () => {
    for (const [h, w, mn, mx, want] of hf.smart_resize.qwen2) {
      if (typeof want === 'string') expect(() => smartResizeFrame(h, w, 28, mn, mx)).toThrow();
      else expect(smartResizeFrame(h, w, 28, mn, mx)).toEqual(want);
    }
  });
  it('Qwen3VL (whole video, factor 32)', () => {
    for (const [t, h, w, mn, mx, want] of hf.smart_resize.qwen3) {
      if (typeof want === 'string') expect(() => smartResizeVideo(t, h, w, 2, 32, mn, mx)).toThrow();
      else expect(smartResizeVideo(t, h, w, 2, 32, mn, mx)).toEqual(want);
    }
  });
});

describe('what the processors add around the pixels', () => {
  it("Qwen2.5-VL's second_per_grid_ts is temporal_patch_size over the sampled rate", () => {
    // 20 of 300 frames at 30 fps = 2 sampled frames per second: a temporal patch of 2 frames spans 1 s.
    expect(secondPerGridTs(configs.qwen25, 20, 300, 30)).toBeCloseTo(1, 12);
    expect(secondPerGridTs(configs.qwen25, 24, 301, 24)).toBeCloseTo(2 / ((24 / 301) * 24), 12);
  });

  it("Qwen3-VL's placeholder: per temporal patch its timestamp, then vision_start, its tokens, vision_end", () => {
    const grid = { t: 2, h: 4, w: 6 };
    expect(qwenVideoTokenCount(grid, 2)).toBe(12);
    expect(qwen3VideoPlaceholder(grid, [0.25, 1.75], 2)).toBe(
      `<0.2 seconds><|vision_start|>${'<|video_pad|>'.repeat(6)}<|vision_end|><1.8 seconds><|vision_start|>${'<|video_pad|>'.repeat(6)}<|vision_end|>`,
    );
    expect(() => qwen3VideoPlaceholder(grid, [0.25], 2)).toThrow(/1 timestamps for 2 temporal patches/);
  });
});
