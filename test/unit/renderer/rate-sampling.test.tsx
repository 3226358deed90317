// A Qwen-VL model's video settings: frames per second, the most frames and the pixel budget (the model's own unless
// set), refused with the reason when out of range, and the frames, size and tokens the engine will sample for the
// open video (from the estimate) shown beside the memory they need.
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { DEFAULT_SETTINGS, type MemoryEstimate, type ModelInfo, type Settings } from '../../../electron/contract.ts';
import { SettingsPanel } from '../../../renderer/src/components/SettingsPanel.tsx';
import { checkMaxFrames, checkMaxPixels, checkSampleFps, impliedRateTokens, type RateSamplingModel } from '../../../renderer/src/lib/rate-sampling.ts';

const qwen3: RateSamplingModel = {
  family: 'qwen3-vl', fps: 2, minFrames: 4, maxFrames: 768, minPixels: 4096, maxPixels: 25165824, budget: 'video', patchSize: 16, mergeSize: 2, temporalPatchSize: 2,
};
const model = (video?: RateSamplingModel): ModelInfo => ({
  id: 'downloaded-q3', name: 'Qwen/Qwen3-VL-2B-Instruct', path: '/hub/q3', architecture: 'Qwen3VLForConditionalGeneration', source: 'downloaded',
  parameters: 2.13e9, dtype: 'bf16', precision: 'bf16', weightCounts: { dense: 2.13e9, q4: 0, q4Groups: 0 }, diskBytes: 4.3e9, gpuBytes: 4.26e9,
  tokensPerFrame: 0, description: '', ...(video ? { video } : {}),
});
const estimate: MemoryEstimate = {
  weightsBytes: 4 * 2 ** 30, kvBytes: 2 ** 30, activationBytes: 2 ** 30, availableBytes: 80 * 2 ** 30, fits: true, message: '',
  visualTokens: { total: 6600, kept: 1650 },
  sampling: { frames: 120, width: 448, height: 256, temporalPatches: 60, tokensPerPatch: 110 },
};
const panel = (s: Partial<Settings>, models: ModelInfo[], est: MemoryEstimate | null = estimate) => renderToStaticMarkup(
  <SettingsPanel settings={{ ...DEFAULT_SETTINGS, ...s }} engine={null} models={models} estimate={est} onChange={() => {}} onManageModels={() => {}} />,
);

describe('rate sampling settings', () => {
  it('a Qwen-VL model gets its own controls with the model values, and what they imply', () => {
    const html = panel({ modelId: 'downloaded-q3' }, [model(qwen3)]);
    expect(html).toContain('Qwen3-VL samples frames by rate');
    expect(html).toContain('for the whole video');
    expect(html).toMatch(/id="set-sample-fps"[^>]*value="2"/);
    expect(html).toMatch(/id="set-rate-max-frames"[^>]*value="768"/);
    expect(html).toMatch(/id="set-max-pixels"[^>]*value="25165824"/);
    expect(html).toContain('120 frames at 448x256 · 60 frame pairs × 110 tokens = 6600 visual tokens, about 1650 kept · memory 6.0 GiB of 80.0 GiB');
    expect(html).not.toContain('set-frames');
    // Set values replace the model's; "Model's own" is offered only then.
    const set = panel({ modelId: 'downloaded-q3', sampleFps: 0.5, maxFrames: 64, maxPixels: 1_000_000 }, [model(qwen3)]);
    expect(set).toMatch(/id="set-sample-fps"[^>]*value="0.5"/);
    expect(set).toMatch(/id="set-max-pixels"[^>]*value="1000000"/);
    expect(html).toMatch(/<button class="btn btn-small" disabled="">Model&#x27;s own<\/button>/);
    expect(set).toMatch(/<button class="btn btn-small">Model&#x27;s own<\/button>/);
    expect(panel({ modelId: 'downloaded-q3' }, [model(qwen3)], null)).toContain('Open a video: its size and length decide the frames and tokens.');
  });

  it('other models keep the frame-count controls', () => {
    const html = panel({ modelId: 'downloaded-q3' }, [model()]);
    expect(html).toContain('set-frames');
    expect(html).not.toContain('set-sample-fps');
  });

  it('refuses values out of range with the reason', () => {
    expect(checkSampleFps('60')).toEqual({ ok: false, error: 'Frames per second: 60 is outside 0.01–30.' });
    expect(checkSampleFps('1.5')).toEqual({ ok: true, value: 1.5 });
    expect(checkMaxFrames('1')).toMatchObject({ ok: false, error: expect.stringMatching(/at least 2/) });
    expect(checkMaxFrames('2000')).toMatchObject({ ok: false, error: expect.stringMatching(/more than the 1024 frames/) });
    expect(checkMaxPixels('1000', qwen3)).toEqual({ ok: false, error: "Maximum pixels: 1000 is below the model's minimum 4096." });
    expect(checkMaxPixels('200704', qwen3)).toEqual({ ok: true, value: 200704 });
    expect(impliedRateTokens({ ...estimate, sampling: undefined })).toBeNull();
  });
  it('8-bit vision is not offered for a Qwen-VL model (LLaVA-OneVision only)', () => {
    const html = panel({ modelId: 'downloaded-q3' }, [model(qwen3)]);
    expect(html).toMatch(/<option value="8bit" disabled="">/);
    expect(html).toContain('8-bit vision is implemented for LLaVA-OneVision models only.');
  });
});
