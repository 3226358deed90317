// The memory estimate counts the KV cache's visual tokens with the engine's own functions: for each policy, sparsity
// and per-frame floor, the estimate's count equals what a prepared engine session actually holds.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type Settings } from '../../../electron/contract.ts';
import { loadCheckpoint } from '../../../engine/core/checkpoint/load.ts';
import { ChatSessions } from '../../../engine/service/engine-host/chat-sessions.ts';
import { estimateMemory, videoTokens } from '../../../engine/service/models/memory-estimate.ts';
import { engineWork } from './fixture.ts';

const w = engineWork('sv-est-', 5);

describe('memory estimate token count', () => {
  it('equals the visual tokens the engine keeps after prefill (dense, pruned, per-frame floors)', async () => {
    const config = loadCheckpoint(w.modelDir).config;
    const sessions = new ChatSessions();
    const cases: Partial<Settings>[] = [
      { policy: 'dense' },
      { policy: 'sparsevila', prefillSparsity: 0.75 },
      { policy: 'query-prune', prefillSparsity: 0.5 },
      // The floors (8 frames x 3) exceed the global budget round(0.7 * 32) = 22: the engine keeps 24.
      { policy: 'prefill-only', prefillSparsity: 0.3, perFrameFloor: 3 },
    ];
    try {
      for (const [i, c] of cases.entries()) {
        const settings: Settings = { ...DEFAULT_SETTINGS, backend: 'cpu', frames: 8, maxNewTokens: 2, measureDense: false, ...c };
        const r = await sessions.prepare({ sessionId: `s${i}`, modelPath: w.modelDir, videoPath: w.clip, settings }, () => {});
        const est = videoTokens(config, settings);
        // The KV cache holds the kept pooled tokens plus the one image_newline.
        expect(est.kept, JSON.stringify(c)).toBe(r.visualTokens + 1);
        expect(est.total).toBe(8 * 4 + 1);
        // What the app's estimate (chat.estimate) reports.
        expect(estimateMemory({ config, parameters: 1e6, settings, backend: 'cpu', availableBytes: 2 ** 34 }).visualTokens).toEqual(est);
      }
    } finally {
      sessions.dispose();
    }
  }, 120_000);
});
