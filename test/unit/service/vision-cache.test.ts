// The kept vision encoding: served only for the same frames, model and saliency need; freed when replaced, but never
// while a session is still being built from it.
import { describe, expect, it } from 'vitest';
import type { EncodedVideo } from '../../../engine/core/session/chat-session.ts';
import { VisionCache } from '../../../engine/service/engine-host/vision-cache.ts';

const encoded = (saliency: boolean): EncodedVideo => ({
  encoding: { tokens: {} as never, frames: 2, grid: 4, pooled: 2, tokensPerFrame: 4 },
  patchSaliency: saliency ? new Float32Array(32) : null,
});

describe('VisionCache', () => {
  it('matches on model, the very frames and the saliency need', () => {
    const cache = new VisionCache();
    const pixels = new Float32Array(8);
    cache.put('m', pixels, encoded(false), () => {});
    expect(cache.take('m', pixels, false)).not.toBeNull();
    expect(cache.take('m', pixels, true)).toBeNull(); // kept without saliency; this policy needs it
    expect(cache.take('other', pixels, false)).toBeNull();
    expect(cache.take('m', new Float32Array(8), false)).toBeNull(); // equal values, other frames
    // A Qwen-VL tower's output: its token saliency is what a pruning policy needs.
    const qwen = (saliency: boolean): EncodedVideo => ({
      kind: 'qwen-vl', output: { features: {} as never, saliency: saliency ? { patches: new Float32Array(16), tokens: new Float32Array(4) } : undefined },
    });
    cache.put('q', pixels, qwen(false), () => {});
    expect(cache.take('q', pixels, false)).not.toBeNull();
    expect(cache.take('q', pixels, true)).toBeNull();
    cache.put('q', pixels, qwen(true), () => {});
    expect(cache.take('q', pixels, true)).not.toBeNull();
  });

  it('frees the replaced encoding once no session is being built from it', () => {
    const cache = new VisionCache();
    const freed: string[] = [];
    const a = new Float32Array(8), b = new Float32Array(8);
    cache.put('m', a, encoded(true), () => freed.push('a'));
    const lease = cache.take('m', a, true)!;
    cache.put('m', b, encoded(true), () => freed.push('b'));
    expect(freed).toEqual([]);
    lease.release();
    lease.release();
    expect(freed).toEqual(['a']);
    cache.clear();
    expect(freed).toEqual(['a', 'b']);
    expect(cache.take('m', b, true)).toBeNull();
  });
});
