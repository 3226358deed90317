// "Make a 4-bit copy" through the app service and a real engine process: progress events, the copy listed as a 4-bit
// model (same parameters, less disk and GPU memory), a cancel that leaves nothing, and refusals.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPayload, ModelInfo } from '../../../electron/contract.ts';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';
import { estimateMemory } from '../../../engine/service/models/memory-estimate.ts';
import { describeModelFolder } from '../../../engine/service/models/model-folder.ts';
import { DEFAULT_SETTINGS } from '../../../electron/contract.ts';
import { makeService, tmpDir } from './fixture.ts';

type Progress = EventPayload<'models.quantizeProgress'>;
let svc: Awaited<ReturnType<typeof makeService>>;
let src: ModelInfo;
const events: Progress[] = [];

beforeAll(async () => {
  const work = tmpDir('sv-q4-');
  makeCheckpoint(path.join(work, 'tiny'), { preset: 'tiny', seed: 4, std: 0.1, dtype: 'bf16' });
  svc = await makeService();
  svc.service.on((name, payload) => { if (name === 'models.quantizeProgress') events.push(payload as Progress); });
  const r = await svc.service.call('models.addLocal', { path: path.join(work, 'tiny') });
  if (!r.ok) throw new Error(r.error.message);
  src = r.res as ModelInfo;
}, 60_000);
afterAll(() => svc?.close());

async function finished(jobId: string): Promise<Progress> {
  for (let i = 0; i < 600; i++) {
    const last = events.filter((e) => e.jobId === jobId).at(-1);
    if (last && last.state !== 'running') return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the copy did not finish in 60 s');
}

describe('4-bit copies in the app', () => {
  it('runs in the engine with progress, and the copy is listed as a 4-bit model', async () => {
    expect(src.precision).toBe('bf16');
    const r = await svc.service.call('models.quantize', { id: src.id, method: 'awq' });
    expect(r.ok).toBe(true);
    const { jobId } = (r as { res: { jobId: string } }).res;
    const end = await finished(jobId);
    expect(end).toMatchObject({ state: 'done', modelId: src.id, method: 'awq' });
    const stages = events.filter((e) => e.jobId === jobId).map((e) => e.stage);
    expect(stages[0]).toBe('starting');
    for (const s of ['calibrate', 'quantize', 'write']) expect(stages).toContain(s);
    const copy = end.model!;
    expect(copy).toMatchObject({ precision: '4-bit', parameters: src.parameters, name: `${src.name} (4-bit AWQ)`, source: 'local' });
    expect(copy.path).toBe(path.join(svc.dataDir, 'models', `${src.name}-4bit-awq`));
    expect(copy.weightCounts.q4).toBeGreaterThan(0);
    expect(copy.diskBytes).toBeLessThan(src.diskBytes);
    expect(copy.gpuBytes).toBeLessThan(src.gpuBytes);
    const list = await svc.service.call('models.list', {});
    expect((list as { res: ModelInfo[] }).res.map((m) => m.id)).toContain(copy.id);
    // A 4-bit model cannot be copied again.
    const again = await svc.service.call('models.quantize', { id: copy.id, method: 'awq' });
    expect(again).toMatchObject({ ok: false, error: { code: 'invalid_request', message: expect.stringContaining('already 4-bit') } });
  }, 90_000);

  it('a cancelled copy leaves no folder, partial or complete', async () => {
    const r = await svc.service.call('models.quantize', { id: src.id, method: 'rtn' });
    const { jobId } = (r as { res: { jobId: string } }).res;
    await svc.service.call('models.cancelQuantize', { jobId });
    const end = await finished(jobId);
    expect(end.state).toBe('cancelled');
    const left = readdirSync(path.join(svc.dataDir, 'models'));
    expect(left.filter((f) => f.includes('rtn'))).toEqual([]);
    expect(existsSync(path.join(svc.dataDir, 'models', `${src.name}-4bit-rtn`))).toBe(false);
  }, 90_000);

  it('an unknown model is refused', async () => {
    expect(await svc.service.call('models.quantize', { id: 'local-0000', method: 'awq' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });

  it('the memory estimate prices 4-bit layers at half a byte plus their scales and zeros', () => {
    const q = describeModelFolder(path.join(svc.dataDir, 'models', `${src.name}-4bit-awq`), 'local');
    const s = describeModelFolder(src.path, 'local');
    const est = (f: typeof q, backend: 'cpu' | 'cuda') => {
      if (f.kind !== 'llava') throw new Error('a LLaVA-OneVision model was expected');
      return estimateMemory({ config: f.config, parameters: f.info.weightCounts, settings: DEFAULT_SETTINGS, backend, availableBytes: 2 ** 40 }).weightsBytes;
    };
    expect(est(s, 'cuda')).toBe(s.info.parameters * 2);
    expect(est(s, 'cpu')).toBe(s.info.parameters * 4);
    const { dense, q4, q4Groups } = q.info.weightCounts;
    expect(dense + q4).toBe(s.info.parameters);
    expect(q4Groups).toBe(q4 / 32); // the tiny model's widths take group size 32
    expect(est(q, 'cuda')).toBe(dense * 2 + q4 / 2 + q4Groups * 2.5);
    expect(est(q, 'cuda')).toBe(q.info.gpuBytes);
    expect(est(q, 'cpu')).toBe(dense * 4 + q4 / 2 + q4Groups * 4.5);
  });
});
