// `sparsevila bench` on Qwen-VL presets: synthetic weights at the published geometry, the chat-template prompt, the
// processor's frame layout, and the same ChatSession loop as LLaVA (tiny presets on the CPU backend).
import { describe, expect, it } from 'vitest';
import { parseBenchConfigs } from '../../../engine/core/bench/config.ts';
import { decodeWeightBytes } from '../../../engine/core/bench/floor.ts';
import { benchVideo, runBenchConfig } from '../../../engine/core/bench/run.ts';
import { loadModel, loadVlm, type LoadedVlm } from '../../../engine/core/models/load-model.ts';
import { parseQwenVlConfig } from '../../../engine/core/models/qwen-vl-config.ts';
import { qwenPresetConfig, QWEN_PRESETS } from '../../../engine/core/models/qwen-presets.ts';

describe('Qwen-VL bench', () => {
  it('lays out 448x252 frames as the processor rounds them, at each preset geometry', () => {
    const grids = Object.fromEntries(QWEN_PRESETS.map((p) => {
      const config = parseQwenVlConfig(qwenPresetConfig(p));
      return [p, benchVideo({ kind: 'qwen-vl', config } as LoadedVlm, 8).qwen?.grid];
    }));
    expect(grids['qwen2.5-vl-7b']).toEqual({ t: 4, h: 18, w: 32 });  // patch 14, factor 28
    expect(grids['qwen3-vl-8b']).toEqual({ t: 4, h: 16, w: 28 });    // patch 16, factor 32
    const config = parseQwenVlConfig(qwenPresetConfig('qwen2.5-vl-7b'));
    const v = benchVideo({ kind: 'qwen-vl', config } as LoadedVlm, 8);
    expect(v.pixelValues.length).toBe(4 * 18 * 32 * 3 * 2 * 14 * 14);
    expect(v.qwen?.groupTimes).toEqual([0, 1, 2, 3]);
    expect(() => benchVideo({ kind: 'qwen-vl', config } as LoadedVlm, 7)).toThrow(/multiple of 2 frames/);
    // The 7B decoder's weights: 7.07 B parameters of the language model read once per token (embedding: one row).
    expect(decodeWeightBytes(config, { name: 'cuda' } as never) / 2 / 1e9).toBeCloseTo(7.07, 1);
  });

  it('loadModel refuses Qwen-VL presets (loadVlm loads them)', async () => {
    await expect(loadModel('', { backend: 'cpu', synthetic: 'qwen2.5-vl-tiny' })).rejects.toThrow(/loadVlm/);
  });

  for (const preset of ['qwen2.5-vl-tiny', 'qwen3-vl-tiny'] as const) {
    it(`${preset}: dense and sparsevila through ChatSession, every turn decoded in full`, async () => {
      const m = await loadVlm('', { backend: 'cpu', synthetic: preset });
      expect(m.kind).toBe('qwen-vl');
      const w = { frames: 4, turns: 2, newTokens: 3, questionTokens: 5 };
      const video = benchVideo(m, 4);
      const results = [];
      for (const c of parseBenchConfigs('dense,0.5:0.5')) results.push(await runBenchConfig(m, c, w, video));
      const [d, s] = results;
      const perGroup = (video.qwen!.grid.h / 2) * (video.qwen!.grid.w / 2);
      expect(d.visualTotal).toBe(2 * perGroup);
      expect(d.visualRetained).toBe(2 * perGroup);
      expect(s.visualRetained).toBe(perGroup);
      expect(d.prefixTokens - s.prefixTokens).toBe(perGroup);
      for (const r of results) {
        expect(r.turns).toHaveLength(2);
        for (const t of r.turns) expect(t.tokens).toBe(3);
      }
      expect(s.turns[0].visualTokensRetrieved).toBe(Math.round(perGroup / 2));
      m.dispose();
    });
  }
});
