// The Qwen-VL side of a chat session: the prompt prefix with the video expanded as HF's processors do it (Qwen2.5-VL:
// one run of video tokens; Qwen3-VL: per frame group its timestamp text, then its tokens between vision_start and
// vision_end), and the retained prefix's prefill: the visual tokens the policy keeps (by the tower's token saliency)
// at their M-RoPE positions, with their DeepStack features, and where the turns continue.
import type { Tensor } from '../backend/backend.ts';
import type { LoadedQwenVl } from '../models/load-model.ts';
import type { PrunedPositions } from '../models/qwen-vl-positions.ts';
import type { QwenVlPrompt } from '../models/qwen-vl.ts';
import type { QwenVisionOutput } from '../models/qwen-vision-forward.ts';
import { planPrefixRows } from '../sparse/layout.ts';
import { PrefixKv } from '../sparse/prefix-kv.ts';
import type { SparsePolicy } from '../sparse/session-policy.ts';
import { qwen3TimestampText } from '../video/qwen-video-processor.ts';
import type { PromptBuilder, PromptParts } from './prompt.ts';
import { prefillCache } from './prefill-prefix.ts';

/** What a Qwen-VL processor made of the video (engine/core/video's QwenVideoInputs). */
export interface QwenSessionVideo {
  grid: { t: number; h: number; w: number };
  secondPerGridTs: number;
  groupTimes: number[];
}

export interface QwenPromptParts extends PromptParts {
  /** Rows of the prefix that hold video tokens, ascending (visual token i sits on videoRows[i]). */
  videoRows: Int32Array;
  /** The prefix as the model's positions take it. */
  model: QwenVlPrompt;
}

/** The prefix: the chat template's head with its `<|vision_start|><|video_pad|><|vision_end|>` expanded. */
export function buildQwenPrompt(m: LoadedQwenVl, builder: PromptBuilder, v: QwenSessionVideo, instruction: string | null): QwenPromptParts {
  const c = m.config, { grid } = v;
  const { head, turnTail } = builder.render(instruction);
  const ids = builder.tok.encode(head);
  const at = ids.findIndex((id, i) => id === c.visionStartTokenId && ids[i + 1] === c.videoTokenId && ids[i + 2] === c.visionEndTokenId);
  if (at < 0) throw new Error('the chat template did not render the video as <|vision_start|><|video_pad|><|vision_end|> (token ids '
    + `${c.visionStartTokenId}, ${c.videoTokenId}, ${c.visionEndTokenId}); the tokenizer must know them as special tokens`);
  const merge = c.vision.mergeSize, perGroup = (grid.h / merge) * (grid.w / merge);
  if (!Number.isInteger(perGroup)) throw new Error(`video grid ${grid.h}x${grid.w} is not divisible by the merge size ${merge}`);
  // Built as a list of pieces: a long video has tens of thousands of tokens (too many to spread into one call).
  const run = (n: number) => [Int32Array.of(c.visionStartTokenId), new Int32Array(n).fill(c.videoTokenId), Int32Array.of(c.visionEndTokenId)];
  const expanded: Int32Array[] = [];
  if (c.family === 'qwen2_5_vl') {
    expanded.push(...run(grid.t * perGroup));
  } else {
    if (v.groupTimes.length !== grid.t) throw new Error(`${v.groupTimes.length} frame-group timestamps for ${grid.t} frame groups`);
    for (const t of v.groupTimes) expanded.push(Int32Array.from(builder.tok.encode(qwen3TimestampText(t))), ...run(perGroup));
  }
  const pieces = [Int32Array.from(ids.slice(0, at)), ...expanded, Int32Array.from(ids.slice(at + 3))];
  const prefixIds = new Int32Array(pieces.reduce((a, x) => a + x.length, 0));
  pieces.reduce((o, x) => { prefixIds.set(x, o); return o + x.length; }, 0);
  const videoEnd = prefixIds.length - (ids.length - at - 3);
  const videoRows = Int32Array.from(prefixIds.keys()).filter((i) => i >= at && i < videoEnd && prefixIds[i] === c.videoTokenId);
  return {
    prefixIds, videoStart: videoRows[0], videoCount: videoRows.length, turnTail, videoRows,
    model: { ids: prefixIds, videoRows, grids: [grid], secondPerGrid: [v.secondPerGridTs] },
  };
}

/** The retained prefix into a new cache of `capacity` slots past it; `next`: the M-RoPE position a turn's text
 *  continues at, `maxPosition`: the prefix's largest position. */
export function prefillQwenPrefix(m: LoadedQwenVl, enc: QwenVisionOutput, p: QwenPromptParts, policy: SparsePolicy,
  o: { turnCapacity: number; pruned: PrunedPositions; onProgress?: (done: number, total: number) => void }): { kv: PrefixKv; next: number; maxPosition: number } {
  const be = m.backend, llm = m.model.llm, grid = p.model.grids[0], merge = m.config.vision.mergeSize;
  const gridH = grid.h / merge, gridW = grid.w / merge, nVisual = p.videoRows.length;
  policy.useTokenSaliency(enc.saliency?.tokens ?? null, gridH, gridW);
  const kept = policy.selectVisualTokens(grid.t, gridH * gridW);
  const layout = planPrefixRows(p.prefixIds.length, p.videoRows, kept ?? Int32Array.from({ length: nVisual }, (_, i) => i));
  const { positions, next, maxPosition } = m.model.positions(p.model, kept, o.pruned);
  if (positions.t.length !== layout.rows.length) throw new Error(`prefix: ${positions.t.length} positions for ${layout.rows.length} rows`);
  const x = m.model.embedPrompt(p.prefixIds, p.videoRows, enc.features);
  const xs = kept ? be.gatherRows(x, layout.rows) : x;
  if (xs !== x) be.dispose(x);
  const deepstack: Tensor[] = (enc.deepstack ?? []).map((d) => (kept ? be.gatherRows(d, kept) : d));
  try {
    const ds = deepstack.length ? { rows: layout.visualSlots, features: deepstack } : undefined;
    const cache = prefillCache(be, llm, xs, o.turnCapacity, { positions, deepstack: ds }, o.onProgress);
    return { kv: new PrefixKv(be, cache, layout), next, maxPosition };
  } finally {
    if (kept) for (const d of deepstack) be.dispose(d);
  }
}
