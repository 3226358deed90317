// The settings' frames, tokens and memory for a Qwen-VL model are counted with the engine's own functions: the plan
// for a video equals what prepareVideo makes of it (frames, size, grid), the kept count follows prefill pruning per
// temporal patch, and the estimate reads the model's config.json (the published Qwen3-VL-8B one counts the catalog's
// 8.77B parameters).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conversation, DEFAULT_SETTINGS, type Settings } from '../../../electron/contract.ts';
import { resolveFfmpeg } from '../../../engine/core/video/ffmpeg-path.ts';
import { prepareVideo } from '../../../engine/core/video/prepare-video.ts';
import { probeVideo } from '../../../engine/core/video/probe.ts';
import { MODEL_CATALOG } from '../../../engine/service/models/catalog.ts';
import { estimateQwenModel, qwenVideoPlan, qwenVisualTokens } from '../../../engine/service/models/qwen-memory-estimate.ts';
import { qwenVlCheckpointSize, qwenVlDimsOf } from '../../../engine/service/models/qwen-vl-size.ts';
import { videoPreprocessFor } from '../../../engine/service/video-preprocess.ts';
import type { QwenVideoConfig } from '../../../engine/core/video/qwen-video-config.ts';
import { makeBitsClip } from '../video/clips.ts';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/qwen-processor');
const dir = mkdtempSync(path.join(os.tmpdir(), 'qwen-est-'));
const bins = resolveFfmpeg();

/** Qwen/Qwen3-VL-8B-Instruct's config.json (the fields that size the model). */
const QWEN3_8B_CONFIG = {
  architectures: ['Qwen3VLForConditionalGeneration'], model_type: 'qwen3_vl', tie_word_embeddings: false,
  text_config: { model_type: 'qwen3_vl_text', rope_scaling: { mrope_interleaved: true, mrope_section: [24, 20, 20], rope_type: 'default' }, rope_theta: 5000000, head_dim: 128, hidden_size: 4096, intermediate_size: 12288, num_attention_heads: 32, num_hidden_layers: 36, num_key_value_heads: 8, vocab_size: 151936 },
  vision_config: { model_type: 'qwen3_vl', deepstack_visual_indexes: [8, 16, 24], depth: 27, hidden_size: 1152, intermediate_size: 4304, num_heads: 16, num_position_embeddings: 2304, out_hidden_size: 4096, patch_size: 16, spatial_merge_size: 2, temporal_patch_size: 2 },
};

function modelDir(name: string, family: 'qwen25' | 'qwen3', config: object): string {
  const d = path.join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, 'config.json'), JSON.stringify(config));
  const file = family === 'qwen3' ? 'video_preprocessor_config.json' : 'preprocessor_config.json';
  copyFileSync(path.join(fixtures, family, file), path.join(d, file));
  return d;
}

let clip = '';
beforeAll(() => {
  clip = makeBitsClip(path.join(dir, 'clip.mp4'), 40, 10); // 128x96, 40 frames at 10 fps
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Qwen-VL video plan and tokens', { timeout: 60_000 }, () => {
  it('equals what prepareVideo makes of the video, for both families and the settings overrides', async () => {
    const probe = await probeVideo(bins, clip);
    const q3 = modelDir('q3', 'qwen3', { model_type: 'qwen3_vl' });
    const q25 = modelDir('q25', 'qwen25', { model_type: 'qwen2_5_vl' });
    const cases: [string, Partial<Settings>][] = [[q3, {}], [q3, { sampleFps: 1 }], [q25, {}], [q25, { sampleFps: 4, maxFrames: 6, maxPixels: 28 * 28 * 4 }]];
    for (const [model, over] of cases) {
      const cfg = videoPreprocessFor(model, { ...DEFAULT_SETTINGS, ...over }) as QwenVideoConfig;
      const plan = qwenVideoPlan(cfg, { width: probe.width, height: probe.height, frameCount: probe.frameCount, fps: probe.fps });
      const v = await prepareVideo(clip, { binaries: bins, cacheDir: null, thumbnailWidth: 0, preprocess: cfg });
      expect([plan.frames, plan.width, plan.height], JSON.stringify(over)).toEqual([v.frames, v.width, v.height]);
      expect(plan.grid).toEqual(v.qwen!.grid);
      expect(plan.tokens).toBe((v.qwen!.grid.t * v.qwen!.grid.h * v.qwen!.grid.w) / 4);
    }
  });

  it('keeps the pruned share per temporal patch, with the per-patch floor', () => {
    const plan = { frames: 8, width: 128, height: 96, grid: { t: 4, h: 6, w: 8 }, tokensPerGroup: 12, tokens: 48 };
    expect(qwenVisualTokens(plan, { ...DEFAULT_SETTINGS, policy: 'dense' })).toEqual({ total: 48, kept: 48 });
    expect(qwenVisualTokens(plan, { ...DEFAULT_SETTINGS, policy: 'sparsevila', prefillSparsity: 0.75 })).toEqual({ total: 48, kept: 12 });
    expect(qwenVisualTokens(plan, { ...DEFAULT_SETTINGS, policy: 'sparsevila', prefillSparsity: 0.9, perFrameFloor: 2 })).toEqual({ total: 48, kept: 8 });
  });
});

describe('Qwen-VL memory estimate', () => {
  it('reads the published config: parameters match the catalog, KV per token from the text config, a refusal names the sampling', () => {
    const dims = qwenVlDimsOf(QWEN3_8B_CONFIG);
    const catalog = MODEL_CATALOG.find((m) => m.repo === 'Qwen/Qwen3-VL-8B-Instruct')!;
    expect(qwenVlCheckpointSize(dims).parameters).toBe(catalog.parameters);
    const model = modelDir('q3-8b', 'qwen3', QWEN3_8B_CONFIG);
    // A minute of 1280x720 at 30 fps: 2 fps -> 120 frames; the whole-video budget sets the size.
    const video = { width: 1280, height: 720, fps: 30, durationSec: 60, frameCount: 1800 };
    const settings: Settings = { ...DEFAULT_SETTINGS, policy: 'dense', maxNewTokens: 100, measureDense: false };
    const est = estimateQwenModel(model, catalog.parameters!, video, { settings, backend: 'cuda', availableBytes: 141e9 });
    expect(est.sampling).toMatchObject({ frames: 120, temporalPatches: 60 });
    expect(est.visualTokens!.total).toBe(60 * est.sampling!.tokensPerPatch);
    expect(est.weightsBytes).toBe(catalog.parameters! * 2);
    const seq = est.visualTokens!.kept + 64 + 512 + 6 * 60 + 100;
    expect(est.kvBytes).toBe(seq * 36 * 2 * 8 * 128 * 2);
    expect(est.fits).toBe(true);
    const small = estimateQwenModel(model, catalog.parameters!, video, { settings, backend: 'cuda', availableBytes: 16e9 });
    expect(small.fits).toBe(false);
    expect(small.message).toContain(`from 120 frames at ${est.sampling!.width}x${est.sampling!.height}`);
    expect(() => estimateQwenModel(model, 1, video, { settings: { ...settings, maxPixels: 1000 }, backend: 'cuda', availableBytes: 1e9 })).toThrow(/at least the model's minimum 4096/);
  });
});

describe('rate sampling settings', () => {
  it('conversations saved before they existed still load (the model\'s own sampling)', () => {
    const { sampleFps: _f, maxFrames: _m, maxPixels: _p, ...old } = DEFAULT_SETTINGS;
    const conv = Conversation.parse({ id: 'c1', videoId: 'v1', title: 't', createdAt: 1, updatedAt: 1, settings: old, messages: [] });
    expect([conv.settings.sampleFps, conv.settings.maxFrames, conv.settings.maxPixels]).toEqual([null, null, null]);
  });
});
