// Where the visual tokens sit in the prompt and in the KV cache once some are pruned.
//
// Dense prompt rows are numbered 0..n-1 and a row's number is its RoPE position (single-axis RoPE). Pruning drops
// visual rows before the LLM sees them; the survivors keep their original positions, so positions have gaps while
// cache slots are packed. Visual token v is (frame, row, col) of the pooled grid, v = f*gridH*gridW + r*gridW + c.

export interface VideoSpan {
  /** Dense row of the first visual token. */
  start: number;
  frames: number;
  gridH: number;
  gridW: number;
  /** Tokens the model appends after the grid tokens (LLaVA-OneVision video: one image_newline); always kept. */
  extra: number;
}

export function visualTokenCount(span: VideoSpan): number {
  return span.frames * span.gridH * span.gridW;
}

/** The contiguous run of video placeholders in a prompt prefix: F·pooled² grid tokens then one image_newline. */
export function findVideoSpan(ids: Int32Array, videoTokenId: number, frames: number, pooled: number): VideoSpan {
  const start = ids.indexOf(videoTokenId);
  const expected = frames * pooled * pooled + 1;
  if (start < 0) throw new Error(`the prompt prefix has no video placeholder (token id ${videoTokenId})`);
  let end = start;
  while (end < ids.length && ids[end] === videoTokenId) end++;
  if (end - start !== expected) {
    throw new Error(`the prompt has ${end - start} consecutive video placeholders, expected ${expected} (${frames} frames x ${pooled}x${pooled} + 1)`);
  }
  if (ids.indexOf(videoTokenId, end) >= 0) throw new Error('the prompt has more than one run of video placeholders');
  return { start, frames, gridH: pooled, gridW: pooled, extra: 1 };
}

/** The retained prefix as it sits in the KV cache (slot i of the cache holds dense row rows[i]). */
export interface PrefixPlan {
  /** Dense rows that enter the LLM, ascending; also their RoPE positions. */
  rows: Int32Array;
  /** Cache slots of retained visual tokens, ascending. */
  visualSlots: Int32Array;
  /** Visual token index held by each entry of visualSlots. */
  visualIds: Int32Array;
  /** Cache slots of every other prefix token (text, image_newline), ascending. */
  nonVisualSlots: Int32Array;
  /** Position of the first token after the prefix (the dense prefix length: evicted positions are reused). */
  nextPosition: number;
  /** Visual tokens before pruning. */
  visualTotal: number;
}

/** Plan the prefix [0, prefixLength) of the dense prompt when only `keptVisual` (ascending visual ids) survive. */
export function planPrefix(prefixLength: number, span: VideoSpan, keptVisual: Int32Array): PrefixPlan {
  const n = visualTokenCount(span);
  if (span.start < 0 || span.start + n + span.extra > prefixLength) {
    throw new Error(`video span [${span.start}, ${span.start + n + span.extra}) does not fit in a prefix of ${prefixLength} tokens`);
  }
  return planPrefixRows(prefixLength, Int32Array.from({ length: n }, (_, i) => span.start + i), keptVisual);
}

/** The same for visual tokens on any ascending dense rows (visual id i on videoRows[i]; several runs, as Qwen3-VL's
 *  frame groups between their timestamps). */
export function planPrefixRows(prefixLength: number, videoRows: Int32Array, keptVisual: Int32Array): PrefixPlan {
  const n = videoRows.length;
  for (let i = 0; i < n; i++) {
    if (!(videoRows[i] >= 0 && videoRows[i] < prefixLength) || (i > 0 && videoRows[i - 1] >= videoRows[i])) {
      throw new Error(`video rows must be ascending rows of the ${prefixLength}-token prefix; bad row ${videoRows[i]} at ${i}`);
    }
  }
  for (let i = 0; i < keptVisual.length; i++) {
    const v = keptVisual[i];
    if (!Number.isInteger(v) || v < 0 || v >= n || (i > 0 && keptVisual[i - 1] >= v)) {
      throw new Error(`kept visual ids must be ascending, unique and in [0, ${n}); bad value ${v} at ${i}`);
    }
  }
  // Visual id of each dense row (-1: not visual), and whether it is kept.
  const idOfRow = new Int32Array(prefixLength).fill(-1);
  videoRows.forEach((r, i) => { idOfRow[r] = i; });
  const kept = new Uint8Array(n);
  for (const v of keptVisual) kept[v] = 1;
  const rows = new Int32Array(prefixLength - n + keptVisual.length);
  const visualSlots = new Int32Array(keptVisual.length);
  const nonVisualSlots = new Int32Array(prefixLength - n);
  let slot = 0, nv = 0, vs = 0;
  for (let r = 0; r < prefixLength; r++) {
    const v = idOfRow[r];
    if (v < 0) nonVisualSlots[nv++] = slot;
    else if (kept[v]) visualSlots[vs++] = slot;
    else continue;
    rows[slot++] = r;
  }
  return { rows, visualSlots, visualIds: Int32Array.from(keptVisual), nonVisualSlots, nextPosition: prefixLength, visualTotal: n };
}

/** The prefix plan after kvCompact kept only the visual tokens `keepVisualIds` (a subset of plan.visualIds). */
export function compactPlan(plan: PrefixPlan, keepVisualIds: Int32Array): { plan: PrefixPlan; keepSlots: Int32Array } {
  const keep = new Set(keepVisualIds);
  const isKept = new Uint8Array(plan.rows.length).fill(1);
  for (let i = 0; i < plan.visualIds.length; i++) if (!keep.has(plan.visualIds[i])) isKept[plan.visualSlots[i]] = 0;
  const keepSlots: number[] = [];
  const newSlot = new Int32Array(plan.rows.length).fill(-1);
  for (let s = 0; s < plan.rows.length; s++) {
    if (isKept[s]) {
      newSlot[s] = keepSlots.length;
      keepSlots.push(s);
    }
  }
  const visualSlots: number[] = [];
  const visualIds: number[] = [];
  for (let i = 0; i < plan.visualIds.length; i++) {
    if (isKept[plan.visualSlots[i]]) {
      visualSlots.push(newSlot[plan.visualSlots[i]]);
      visualIds.push(plan.visualIds[i]);
    }
  }
  return {
    plan: {
      rows: Int32Array.from(keepSlots, (s) => plan.rows[s]),
      visualSlots: Int32Array.from(visualSlots),
      visualIds: Int32Array.from(visualIds),
      nonVisualSlots: Int32Array.from(plan.nonVisualSlots, (s) => newSlot[s]),
      nextPosition: plan.nextPosition,
      visualTotal: plan.visualTotal,
    },
    keepSlots: Int32Array.from(keepSlots),
  };
}

/** Merge two ascending slot lists (disjoint) into one ascending list. */
export function mergeAscending(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  let i = 0, j = 0, o = 0;
  while (i < a.length && j < b.length) out[o++] = a[i] <= b[j] ? a[i++] : b[j++];
  while (i < a.length) out[o++] = a[i++];
  while (j < b.length) out[o++] = b[j++];
  return out;
}

/** Slots a decode step attends to: the layer's base set (non-visual prefix + retrieved visual, all < prefixSlots)
 *  plus every slot written since the prefix (question, earlier answer tokens, the current token). */
export function decodeSlots(base: Int32Array, prefixSlots: number, kvLen: number): Int32Array {
  const out = new Int32Array(base.length + (kvLen - prefixSlots));
  out.set(base);
  for (let s = prefixSlots, o = base.length; s < kvLen; s++, o++) out[o] = s;
  return out;
}
