// The decode bandwidth floor for `sparsevila bench`: bytes one decode step must read (every LLM weight matrix once,
// one embedding row, the K/V of the cache slots it attends) divided by the measured device copy bandwidth.
import type { Backend } from '../backend/backend.ts';
import type { TextConfig } from '../models/qwen2-config.ts';
import { qwen2Tensors, TEXT_PREFIX } from '../models/qwen2.ts';
import { specList } from '../models/tensor-spec.ts';
import type { BenchResult, BenchWorkload } from './run.ts';

/** Bytes per weight / KV element on this backend (CUDA keeps bf16 unless run in f32 mode; CPU is f32). */
export function elementBytes(be: Backend): number {
  return be.name === 'cpu' || (be as { dtype?: string }).dtype === 'f32' ? 4 : 2;
}

/** Weight bytes one decode step reads: every LLM tensor once, the embedding table only for one row (unless tied).
 *  awqGroupSize > 0: the decoder layers' linears are 4-bit AutoAWQ layers, counted as what the format stores per
 *  weight (a 4-bit code, and per group of that many inputs an fp16 scale and a 4-bit zero). */
export function decodeWeightBytes(cfg: { text: TextConfig }, be: Backend, awqGroupSize = 0): number {
  const t = cfg.text, per = elementBytes(be);
  let bytes = 0;
  for (const s of specList(qwen2Tensors(t))) {
    const size = s.shape.reduce((a, x) => a * x, 1);
    if (awqGroupSize > 0 && s.name.startsWith(`${TEXT_PREFIX}layers.`) && s.name.endsWith('_proj.weight')) {
      bytes += size / 2 + (size / awqGroupSize) * 2.5;
      continue;
    }
    bytes += (s.name === `${TEXT_PREFIX}embed_tokens.weight` && !t.tieWordEmbeddings ? t.hiddenSize : size) * per;
  }
  return bytes;
}

/** Device copy bandwidth in GB/s (bytes read + written), median of 5 copies of a `mib` MiB tensor. */
export function measureCopyGBps(be: Backend, mib = be.name === 'cpu' ? 64 : 1024): number {
  const cols = 1 << 18;  // 1 MiB of f32 per row
  const x = be.fromHost(new Float32Array(mib * cols), [mib, cols]);
  const ts: number[] = [];
  for (let i = 0; i < 6; i++) {
    be.sync();
    const t0 = performance.now();
    const y = be.concatRows([x]);
    be.sync();
    if (i) ts.push(performance.now() - t0);  // the first one warms the allocator
    be.dispose(y);
  }
  be.dispose(x);
  ts.sort((a, b) => a - b);
  return (2 * mib * 2 ** 20) / ts[Math.floor(ts.length / 2)] / 1e6;
}

export interface DecodeFloor {
  /** Mean K/V slots one step of turn 1 attends (per layer). */
  slots: number;
  bytesPerToken: number;
  floorMs: number;
  /** Measured decode ms/token (mean over turns). */
  decodeMs: number;
}

/** Floor of turn 1's decode: text slots of the prefix + retrieved visual slots + question + half the answer. */
export function decodeFloor(cfg: { text: TextConfig }, be: Backend, r: BenchResult, w: BenchWorkload, copyGBps: number,
  awqGroupSize = 0): DecodeFloor {
  const t = cfg.text, t1 = r.turns[0];
  const slots = (r.prefixTokens - r.visualRetained) + t1.visualTokensRetrieved + (w.questionTokens ?? 24) + t1.tokens / 2;
  const kvBytes = t.layers * slots * 2 * t.kvHeads * t.headDim * elementBytes(be);
  const bytesPerToken = decodeWeightBytes(cfg, be, awqGroupSize) + kvBytes;
  const perTurn = r.turns.map((s) => (s.tokens > 1 ? s.timings.decodeMs / (s.tokens - 1) : 0)).filter((x) => x > 0);
  return {
    slots, bytesPerToken, floorMs: bytesPerToken / (copyGBps * 1e6),
    decodeMs: perTurn.length ? perTurn.reduce((a, b) => a + b, 0) / perTurn.length : 0,
  };
}
