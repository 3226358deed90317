// `sparsevila bench` mechanics on a tiny model (timings are not asserted: they go to BENCHMARKS.md).
import { describe, expect, it } from 'vitest';
import { parseBenchConfigs } from '../../../engine/core/bench/config.ts';
import { benchPrompt, benchVideo, benchTable, runBenchConfig } from '../../../engine/core/bench/run.ts';
import { asLoaded, smallModel } from '../sparse/tinyModel.ts';
import { decodeFloor, decodeWeightBytes } from '../../../engine/core/bench/floor.ts';
import { benchSummaryTable } from '../../../engine/cli/bench.ts';

const model = smallModel(2);
const loaded = asLoaded(model);

describe('bench workload', () => {
  it('builds a prompt shaped like the real one', () => {
    const { prefix, questions } = benchPrompt(model, { frames: 3, turns: 2, newTokens: 4 });
    const vid = model.config.videoTokenId;
    expect(prefix.filter((x) => x === vid).length).toBe(3 * 16 + 1);
    expect(questions).toHaveLength(2);
    for (const q of questions) expect(q.includes(vid)).toBe(false);
  });

  it('runs each config for every turn and fills the table', async () => {
    const w = { frames: 2, turns: 2, newTokens: 3 };
    const px = benchVideo(loaded, 2);
    const results = [];
    for (const c of parseBenchConfigs('dense,0.5:0.5')) results.push(await runBenchConfig(loaded, c, w, px));
    expect(results[0].visualRetained).toBe(32);
    expect(results[1].visualRetained).toBe(16);
    for (const r of results) {
      expect(r.turns).toHaveLength(2);
      for (const t of r.turns) expect(t.tokens).toBe(3);
      expect(r.turns[1].timings.visionMs).toBe(0);
    }
    expect(results[1].turns[0].visualTokensRetrieved).toBe(8);
    const table = benchTable(results);
    expect(table.split('\n')).toHaveLength(4);
    expect(table).toContain('| sparsevila(0.5,0.5) | 16 / 32 |');
    // The TTFT column names as many turns as were run (2 here), not a fixed three.
    expect(table.split('\n')[0]).toContain('| TTFT turn 1 / 2 ms |');
  });

  it('decode floor: every LLM weight once (one embedding row) + K/V of the slots read, over the copy rate', async () => {
    const cfg = model.config, t = cfg.text, be = model.be;
    const w = { frames: 2, turns: 1, newTokens: 3, questionTokens: 4 };
    const r = await runBenchConfig(loaded, parseBenchConfigs('dense')[0], w, benchVideo(loaded, 2));
    const layer = t.hiddenSize * (t.heads + 2 * t.kvHeads) * t.headDim + (t.heads + 2 * t.kvHeads) * t.headDim
      + t.heads * t.headDim * t.hiddenSize + 3 * t.hiddenSize * t.intermediateSize + 2 * t.hiddenSize;
    const head = t.tieWordEmbeddings ? t.vocabSize * t.hiddenSize : t.hiddenSize + t.vocabSize * t.hiddenSize;
    expect(decodeWeightBytes(cfg, be)).toBe(4 * (t.layers * layer + t.hiddenSize + head));
    const f = decodeFloor(cfg, be, r, w, 10);
    expect(f.slots).toBe(r.prefixTokens + 4 + 1.5);
    expect(f.floorMs).toBeCloseTo((decodeWeightBytes(cfg, be) + t.layers * f.slots * 2 * t.kvHeads * t.headDim * 4) / 1e7, 9);
    const table = benchSummaryTable([{ workload: w, results: [{ ...r, floor: f }] }]);
    expect(table.split('\n')[2]).toMatch(/^\| 2 \| dense \| \d+ \|/);
  });
});
