// A multi-turn conversation about one video under any policy (dense, prefill-only, query-prune, sparsevila).
//
// prepare(): vision tower (+ patch saliency from the layer feeding the projector), prefill pruning by token saliency,
//            prefill of the retained prefix (everything before the first question) at the kept rows' original positions.
// ask():     prefill the turn's segment right after the prefix (position = dense prefix length), score visual KV by the
//            question (per layer), decode over the retrieved set, then evict the turn's KV.
import type { InspectorTurn } from '../../../electron/contract.ts';
import type { KvCache, Tensor } from '../backend/backend.ts';
import { videoGeometry } from '../models/llava-onevision-config.ts';
import type { LlavaOnevision } from '../models/llava-onevision.ts';
import { SparseKvController, type LlmDims } from './controller.ts';
import { planPrefix, visualTokenCount, type PrefixPlan, type VideoSpan } from './layout.ts';
import { resolvePolicy, type PolicyPlan, type SparseSettings } from './policy.ts';
import { PatchSaliencyCollector } from './saliency.ts';
import { selectPrefillTokens } from './select.ts';
import { inspectorTurn, makeTimings, type TurnMeasure } from './stats.ts';
import { tokenSaliencyFromPatches } from './tokenSaliency.ts';

export interface PrepareOptions {
  onFrame?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface AskOptions {
  maxNewTokens: number;
  eosTokenIds: readonly number[];
  /** Next token from the step's logits [V]; greedy argmax when omitted. */
  pickToken?: (logits: Float32Array) => number;
  onToken?: (id: number) => void;
  signal?: AbortSignal;
  /** Override the decode sparsity for this turn (the policy's value otherwise). */
  decodeSparsity?: number;
  /** Keep every step's logits (tests, parity). */
  keepLogits?: boolean;
}

export interface TurnResult {
  /** Generated ids, without the final end-of-sequence token. */
  tokens: number[];
  stop: 'eos' | 'length' | 'aborted';
  logits?: Float32Array[];
  measure: TurnMeasure;
}

export interface PrepareResult {
  visionMs: number;
  prefillMs: number;
  visualTotal: number;
  visualRetained: number;
  prefixTokens: number;
}

export function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

export class VideoConversation {
  readonly policy: PolicyPlan;
  private controller: SparseKvController | null = null;
  private cacheRef: KvCache | null = null;
  private cacheCapacity = 0;
  private turn = 0;
  private pending: { visionMs: number; prefillMs: number } | null = null;
  /** Patch saliency [F * grid²] and token saliency [F * pooled²] (null when the policy skips saliency). */
  patchSaliency: Float32Array | null = null;
  tokenSaliency: Float32Array | null = null;
  frames = 0;
  readonly grid: number;
  readonly pooled: number;
  private readonly dims: LlmDims;

  constructor(readonly model: LlavaOnevision, settings: SparseSettings, private readonly opts: { turnCapacity?: number } = {}) {
    this.policy = resolvePolicy(settings);
    const g = videoGeometry(model.config);
    this.grid = g.grid;
    this.pooled = g.pooled;
    const t = model.config.text;
    this.dims = { layers: t.layers, heads: t.heads, kvHeads: t.kvHeads, headDim: t.headDim };
  }

  /** The retained prefix now (query-prune shrinks it after turn 1). */
  get prefix(): PrefixPlan {
    if (!this.controller) throw new Error('conversation not prepared: call prepare() first');
    return this.controller.prefix;
  }

  /** Encode the video and prefill the retained prefix. `prefixIds` holds the video placeholders (F·pooled² + 1). */
  prepare(pixelValues: Float32Array, frames: number, prefixIds: Int32Array, opts: PrepareOptions = {}): PrepareResult {
    if (this.controller) throw new Error('conversation already prepared');
    const m = this.model, be = m.be, cfg = m.config;
    const span = findVideoSpan(prefixIds, cfg.videoTokenId, frames, this.pooled);
    const t0 = performance.now();
    const collector = this.policy.saliency
      ? new PatchSaliencyCollector(be, m.saliencyLayer, cfg.vision.heads, cfg.vision.headDim, this.grid * this.grid)
      : null;
    const enc = m.encodeVideo(pixelValues, frames, {
      onFrameQK: collector ? (_f, _layer, q, k) => collector.add(q, k) : undefined,
      onFrame: opts.onFrame,
      signal: opts.signal,
    });
    this.frames = frames;
    if (collector) {
      this.patchSaliency = collector.result();
      this.tokenSaliency = tokenSaliencyFromPatches(this.patchSaliency, frames, this.grid, this.grid);
    }
    const n = visualTokenCount(span);
    const kept = this.tokenSaliency
      ? selectPrefillTokens(this.tokenSaliency, {
        sparsity: this.policy.prefillSparsity, frames, tokensPerFrame: this.pooled * this.pooled, perFrameFloor: this.policy.perFrameFloor,
      })
      : Int32Array.from({ length: n }, (_, i) => i);
    const full = m.embedPrompt(prefixIds, enc.tokens);
    be.dispose(enc.tokens);
    be.sync();
    const visionMs = performance.now() - t0;

    const t1 = performance.now();
    const plan = planPrefix(prefixIds.length, span, kept);
    let x: Tensor = full;
    if (plan.rows.length !== prefixIds.length) {
      x = be.gatherRows(full, plan.rows);
      be.dispose(full);
    }
    this.cacheCapacity = plan.rows.length + (this.opts.turnCapacity ?? 4096);
    const cache = m.llm.createCache(this.cacheCapacity);
    const h = m.llm.forward(x, cache, { positions: plan.rows, at: 0, lastOnly: true });
    be.dispose(x);
    be.dispose(h);
    cache.length = plan.rows.length;
    be.sync();
    const prefillMs = performance.now() - t1;
    this.controller = new SparseKvController(be, cache, plan, this.policy, this.dims);
    this.cacheRef = cache;
    this.pending = { visionMs, prefillMs };
    return { visionMs, prefillMs, visualTotal: n, visualRetained: kept.length, prefixTokens: plan.rows.length };
  }

  /** One turn: `segmentIds` continue right after the retained prefix (question + assistant header, or text history). */
  ask(segmentIds: Int32Array, opts: AskOptions): TurnResult {
    const ctl = this.controller, cache = this.cacheRef;
    if (!ctl || !cache) throw new Error('conversation not prepared: call prepare() first');
    if (segmentIds.length === 0) throw new Error('empty question');
    if (segmentIds.includes(this.model.config.videoTokenId)) throw new Error('the question must not contain video placeholder tokens');
    if (!Number.isInteger(opts.maxNewTokens) || opts.maxNewTokens < 1) throw new Error(`maxNewTokens must be a positive integer, got ${opts.maxNewTokens}`);
    const m = this.model, be = m.be, llm = m.llm;
    const pick = opts.pickToken ?? argmax;
    const eos = new Set(opts.eosTokenIds);
    const first = this.pending ?? { visionMs: 0, prefillMs: 0 };
    this.pending = null;
    this.turn++;

    const tStart = performance.now();
    const { at, position } = ctl.beginTurn(opts.decodeSparsity);
    const T = segmentIds.length;
    if (at + T + opts.maxNewTokens > this.cacheCapacity) {
      throw new Error(`turn needs ${at + T + opts.maxNewTokens} KV slots, the cache holds ${this.cacheCapacity}: shorten the question/history or maxNewTokens`);
    }
    const positions = Int32Array.from({ length: T }, (_, i) => position + i);
    const x = llm.embed(segmentIds);
    const hooks = ctl.wantsQuestionScores
      ? { onQuery: (layer: number, q: Tensor, kvLen: number) => ctl.onQuestionQuery(layer, q, kvLen, at) }
      : undefined;
    const h = llm.forward(x, cache, { positions, at, hooks, lastOnly: true });
    be.dispose(x);
    const lg = llm.logits(h);
    be.dispose(h);
    let logits = be.toHost(lg);
    be.dispose(lg);
    cache.length = at + T;
    ctl.finishQuestion(cache.length);
    const retrieval = ctl.turnRetrieval();
    const prefillMs = performance.now() - tStart - retrieval.retrievalMs;
    const kept: Float32Array[] = [];
    if (opts.keepLogits) kept.push(logits);

    const tokens: number[] = [];
    let stop: TurnResult['stop'] = 'length';
    let next = pick(logits);
    const ttftMs = first.visionMs + first.prefillMs + performance.now() - tStart;
    const tDecode = performance.now();
    let pos = position + T;
    let kvPeak = cache.length;
    for (;;) {
      if (eos.has(next)) { stop = 'eos'; break; }
      tokens.push(next);
      opts.onToken?.(next);
      if (tokens.length >= opts.maxNewTokens) { stop = 'length'; break; }
      if (opts.signal?.aborted) { stop = 'aborted'; break; }
      const kvLen = cache.length;
      const xs = llm.embed(Int32Array.of(next));
      const hs = llm.forward(xs, cache, {
        positions: Int32Array.of(pos), at: kvLen, lastOnly: true,
        hooks: { slots: (layer: number) => ctl.slotsFor(layer, kvLen + 1) },
      });
      be.dispose(xs);
      const l2 = llm.logits(hs);
      be.dispose(hs);
      logits = be.toHost(l2);
      be.dispose(l2);
      cache.length = kvLen + 1;
      kvPeak = cache.length;
      pos++;
      if (opts.keepLogits) kept.push(logits);
      next = pick(logits);
    }
    be.sync();
    const decodeMs = performance.now() - tDecode;
    const kvBytes = be.kvBytes(cache, kvPeak);
    ctl.endTurn();

    const measure: TurnMeasure = {
      turn: this.turn,
      policy: this.policy.policy,
      tokens: tokens.length,
      visualTotal: this.prefix.visualTotal,
      retainedIds: retrieval.retainedIds,
      retrievedByLayer: retrieval.retrievedByLayer,
      massShareByLayer: retrieval.massShareByLayer,
      kvBytes,
      timings: makeTimings({
        visionMs: first.visionMs, prefillMs: first.prefillMs + prefillMs, retrievalMs: retrieval.retrievalMs,
        decodeMs, ttftMs, tokens: tokens.length + (stop === 'eos' ? 1 : 0),
      }),
      denseTimings: null,
    };
    return { tokens, stop, logits: opts.keepLogits ? kept : undefined, measure };
  }

  /** The inspector's view of a finished turn. */
  inspector(measure: TurnMeasure, frameTimes: readonly number[]): InspectorTurn {
    return inspectorTurn(measure, {
      frames: this.frames, gridH: this.pooled, gridW: this.pooled, frameTimes, saliency: this.tokenSaliency,
    });
  }

  /** KV bytes held between turns (the retained prefix). */
  get retainedKvBytes(): number {
    return this.cacheRef ? this.model.be.kvBytes(this.cacheRef, this.cacheRef.length) : 0;
  }

  dispose(): void {
    if (this.cacheRef) this.model.be.disposeKvCache(this.cacheRef);
    this.cacheRef = null;
    this.controller = null;
  }
}

/** The contiguous run of video placeholders in the prefix: F·pooled² grid tokens then one image_newline. */
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
