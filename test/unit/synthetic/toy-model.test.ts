// The committed toy model (the app's embedded default) answers held-out synthetic-world questions through the
// engine's own path: mp4 -> decode -> preprocess -> SigLIP -> projector/pooling -> Qwen2 -> greedy answer.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evalConfigs, runEval } from '../../../engine/cli/eval.ts';
import { loadModel } from '../../../engine/core/models/load-model.ts';
import { writeEvalSet } from '../../../engine/core/synthetic/eval-set.ts';
import { resolveFfmpeg } from '../../../engine/core/video/ffmpeg-path.ts';

const MODEL = new URL('../../../assets/models/sparsevila-toy-shapes', import.meta.url).pathname;

describe('toy model through the engine', () => {
  it('answers held-out single-turn questions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sv-toy-'));
    const set = await writeEvalSet(dir, [0, 1], resolveFfmpeg().ffmpeg);
    const model = await loadModel(MODEL, { backend: 'cpu' });
    try {
      const r = await runEval(model, set, dir, { frames: 16, configs: evalConfigs(['dense'], []), single: 4 });
      expect(r.single.total).toBe(8);
      expect(r.single.correct).toBeGreaterThanOrEqual(7);
      expect(r.configs[0].turns.map((t) => t.total)).toEqual([2, 2, 2]);
    } finally {
      model.dispose();
    }
  }, 120_000);
});
