// The model manager shows each model's precision, its size on disk and in GPU memory, offers "Make a 4-bit copy" for
// 16-bit models only, and shows a copy's progress (with cancel) and how it ended.
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import type { ModelInfo } from '../../../electron/contract.ts';
import { ModelManager } from '../../../renderer/src/components/ModelManager.tsx';
import { quantizeView } from '../../../renderer/src/lib/quantize-progress.ts';
import type { ModelsState } from '../../../renderer/src/state/useModels.ts';
import type { QuantizeProgress } from '../../../renderer/src/state/types.ts';

const model = (id: string, precision: ModelInfo['precision'], diskBytes: number, gpuBytes: number): ModelInfo => ({
  id, name: id, path: `/models/${id}`, architecture: 'LlavaOnevisionForConditionalGeneration', source: 'local', parameters: 3.7e6,
  dtype: 'bf16', precision, weightCounts: { dense: 1, q4: 0, q4Groups: 0 }, diskBytes, gpuBytes, tokensPerFrame: 16, description: '',
});

const noop = async () => {};
function render(quantizing: Record<string, QuantizeProgress> = {}): string {
  const state: ModelsState = {
    models: [model('toy', 'bf16', 7.5e6, 7.4e6), model('toy-4bit', '4-bit', 3.9e6, 3.3e6)], catalog: [], downloads: {},
    refresh: noop, addLocal: async () => model('x', 'bf16', 1, 1), remove: noop, download: noop, cancel: noop,
    quantizing, quantize: noop, cancelQuantize: noop,
  };
  return renderToStaticMarkup(<ModelManager state={state} activeId={null} onUse={() => {}} onClose={() => {}} />);
}

const progress = (p: Partial<QuantizeProgress>): QuantizeProgress =>
  ({ jobId: 'q-1', modelId: 'toy', method: 'awq', stage: 'quantize', done: 3, total: 6, state: 'running', ...p });

describe('model manager: precision and 4-bit copies', () => {
  it('shows precision, disk and GPU-memory sizes; the copy action only on the 16-bit model', () => {
    const html = render();
    expect(html).toContain('>bf16</span>');
    expect(html).toContain('tag-q4">4-bit</span>');
    expect(html).toContain('7.2 MiB on disk · 7.1 MiB of GPU memory');
    expect(html).toContain('3.7 MiB on disk · 3.1 MiB of GPU memory');
    expect(html.match(/Make a 4-bit copy/g)).toHaveLength(1);
  });

  it('a running copy shows its stage and a cancel button instead of the action', () => {
    const html = render({ toy: progress({}) });
    expect(html).toContain('Quantizing (AWQ): layer 3/6');
    expect(html).toContain('Cancel copy');
    expect(html).not.toContain('Make a 4-bit copy');
    expect(html).toMatch(/role="progressbar" aria-label="4-bit copy of toy" aria-valuenow="55"/);
  });

  it('each stage and ending reads as what happened', () => {
    expect(quantizeView(progress({ stage: 'starting', done: 0, total: 0 }))).toEqual({ text: 'Starting…', share: 0, running: true });
    expect(quantizeView(progress({ stage: 'calibrate', done: 3, total: 6 })).text).toBe('Calibrating on sample frames: prompt 3/6');
    expect(quantizeView(progress({ stage: 'write', done: 10, total: 10 })).share).toBe(1);
    expect(quantizeView(progress({ state: 'cancelled' }))).toMatchObject({ text: 'Cancelled (nothing was kept)', running: false });
    expect(quantizeView(progress({ state: 'error', error: 'disk full' })).text).toBe('Failed: disk full (nothing was kept)');
    expect(quantizeView(progress({ state: 'done', model: model('toy (4-bit AWQ)', '4-bit', 1, 1) })).text).toBe('Done: “toy (4-bit AWQ)” is in the list');
    const after = render({ toy: progress({ state: 'error', error: 'disk full' }) });
    expect(after).toContain('Make a 4-bit copy');
    expect(after).not.toContain('progressbar" aria-label="4-bit');
  });
});
