// A multi-turn chat about one video: the one conversation loop the app, serve mode, `chat`, `eval` and `bench` run.
// Fixed per video (create): model, backend, video, frames, and the policy's prefill side (saliency, pruning):
//   encodeVideo -> prompt -> prefillPrefix (only the visual tokens the policy keeps)
// Per turn (ask): decode sparsity and sampling:
//   prefill the question (the policy scores visual KV) -> the policy picks what decode reads -> decode -> evict the turn
// KV layout: [retained prefix: template head + video tokens + time instruction][this turn: question + answer].
// Kept tokens keep their original RoPE positions; a turn continues at the position right after the dense prefix.
// Qwen-VL models (qwen-prefix.ts) take the same loop with multimodal RoPE positions: turns continue one past the
// prefix's largest position (HF's rope delta), and pruned tokens keep their grid positions or, with
// SessionOptions.prunedPositions 'compact', sit on the minimal grid of the kept ones.
import type { DeviceSampler, Tensor } from '../backend/backend.ts';
import { videoGeometry } from '../models/llava-onevision-config.ts';
import type { LoadedModel, LoadedQwenVl, LoadedVlm } from '../models/load-model.ts';
import { textPositions, type MropePositions } from '../models/mrope.ts';
import type { PrunedPositions } from '../models/qwen-vl-positions.ts';
import type { QwenVisionOutput } from '../models/qwen-vision-forward.ts';
import { buildQwenPrompt, prefillQwenPrefix, type QwenSessionVideo } from './qwen-prefix.ts';
import { prefillCache } from './prefill-prefix.ts';
import type { VideoEncoding } from '../models/llava-onevision.ts';
import type { Qwen2Hooks } from '../models/qwen2.ts';
import { findVideoSpan, planPrefix, type PrefixPlan } from '../sparse/layout.ts';
import { DENSE_SETTINGS, type SparseSettings } from '../sparse/policy.ts';
import { PrefixKv } from '../sparse/prefix-kv.ts';
import { SparsePolicy } from '../sparse/session-policy.ts';
import type { InspectorTurn, TurnMeasure } from '../sparse/stats.ts';
import { PromptBuilder, timeInstruction, type HistoryTurn, type PromptParts } from './prompt.ts';
import { createRng, sampleToken, type SamplingOptions } from './sampling.ts';

/** What the session needs of a prepared video (engine/core/video's PreparedVideo fits). */
export interface SessionVideo {
  pixelValues: Float32Array;
  frames: number;
  frameTimes: number[];
  durationSec: number;
  timeInstruction?: string;
  /** Qwen-VL processors: the patch grid, seconds per frame group and the groups' timestamps (PreparedVideo.qwen). */
  qwen?: QwenSessionVideo;
}

/** KV slots a session reserves for one turn unless told otherwise (SessionOptions.turnCapacity). */
export const DEFAULT_TURN_CAPACITY = 2048;

export interface SessionOptions {
  /** The policy, fixed for the video: prefill pruning and saliency, the decode mode and its default sparsity, and
   *  what the model sees of earlier turns. Default dense. */
  sparse?: SparseSettings;
  /** KV slots reserved for one turn (question + answer, plus text history). Default 2048. */
  turnCapacity?: number;
  /** Put LLaVA-Video's time instruction after the video. Default true (LLaVA models; Qwen-VL states time itself). */
  timeInstruction?: boolean;
  /** Qwen-VL prefill pruning: pruned tokens' neighbours keep their grid positions ('original', default) or move to
   *  the minimal contiguous grid of the kept tokens, later text shifted ('compact', the paper's M-RoPE variant). */
  prunedPositions?: PrunedPositions;
  /** The prompt prefix as token ids, video placeholders included, for models without a tokenizer (the bench's
   *  synthetic weights; turns then go through askTokens). Default: the model's chat template. */
  prefixIds?: Int32Array;
  signal?: AbortSignal;
  onProgress?: (stage: 'vision' | 'prefill', done: number, total: number) => void;
  /** The same frames already through the vision tower on this model (with patch saliency when the policy needs it):
   *  the session skips the tower (visionMs 0). The caller keeps owning encoding.tokens. */
  encoded?: EncodedVideo;
  /** Takes over the session's fresh encoding (and its patch saliency) instead of it being freed after the prefill. */
  keepEncoded?: (e: EncodedVideo) => void;
}

/** A video's vision tower output: LLaVA's pooled tokens and, when the policy collected it, the patch saliency; or a
 *  Qwen-VL tower's merged tokens (+ DeepStack features, + token saliency when the policy asked for it). */
export type EncodedVideo =
  | { kind?: 'llava'; encoding: VideoEncoding; patchSaliency: Float32Array | null }
  | { kind: 'qwen-vl'; output: QwenVisionOutput };

/** The backend tensors an encoding holds (to free it). */
export function encodedTensors(e: EncodedVideo): Tensor[] {
  return e.kind === 'qwen-vl' ? [e.output.features, ...(e.output.deepstack ?? [])] : [e.encoding.tokens];
}

/** Whether an encoding carries the saliency a pruning policy needs. */
export function encodedHasSaliency(e: EncodedVideo): boolean {
  return e.kind === 'qwen-vl' ? !!e.output.saliency : !!e.patchSaliency;
}

export interface AskOptions {
  maxNewTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  /** This turn's decode sparsity (default: the session policy's). */
  decodeSparsity?: number;
  /** Tokens that end the answer (default: the model's generation config). [] always writes maxNewTokens (bench). */
  eosTokenIds?: readonly number[];
  signal?: AbortSignal;
  /** Streaming: called with each new piece of answer text (and the token id). */
  onToken?: (delta: string, tokenId: number) => void;
}

export interface TurnTimings {
  /** Vision tower + projector + pooling (first turn only; 0 later). */
  visionMs: number;
  /** Prefill of the retained prefix (first turn only; 0 later). */
  prefixPrefillMs: number;
  /** Prefill of this turn's question segment (the policy's scoring in it included). */
  prefillMs: number;
  decodeMs: number;
  /** From ask() to the first answer token (includes the question prefill and the retrieval). */
  ttftMs: number;
  totalMs: number;
}

export interface TurnOutput {
  turn: number;
  question: string;
  answer: string;
  tokenIds: number[];
  /** Generated tokens. */
  tokens: number;
  stopReason: 'eos' | 'max_tokens' | 'aborted';
  /** Tokens in this turn's prompt segment. */
  promptTokens: number;
  /** Visual tokens in the retained prefix at the end of the turn (after any pruning), and before pruning. */
  visualTokens: number;
  visualTokensTotal: number;
  /** KV cache bytes in use at the end of the turn (before eviction). */
  kvBytes: number;
  decodeTokensPerSec: number;
  timings: TurnTimings;
  /** The policy's account of the turn: what was retained and retrieved, and the timings with retrieval split out. */
  measure: TurnMeasure;
}

/** The video as encoded for the session: its geometry (the tokens themselves are freed after the prefix prefill). */
export type SessionVideoGeometry = Pick<VideoEncoding, 'frames' | 'grid' | 'pooled' | 'tokensPerFrame'>;

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

export class ChatSession {
  readonly policy: SparsePolicy;
  readonly video: SessionVideoGeometry;
  turns = 0;
  /** What the model sees of earlier turns under history "text" (callers may replace it, e.g. after an edit). */
  readonly history: HistoryTurn[] = [];
  private readonly kv: PrefixKv;
  /** Position where each turn's segment starts (right after the original, unpruned prefix). */
  private readonly turnPosition: number;
  /** Qwen-VL: the prefix's largest M-RoPE position, and the turn's rope delta once its question is in (generated rows
   *  sit at slot + delta, as HF's cache_position + rope_deltas). */
  private readonly prefixMaxPosition: number;
  private ropeDelta = 0;
  private firstTurnTimings: { visionMs: number; prefixPrefillMs: number } | null;
  private disposed = false;

  private constructor(readonly model: LoadedVlm, readonly prompt: PromptParts, readonly builder: PromptBuilder | null,
    policy: SparsePolicy, video: SessionVideoGeometry, kv: PrefixKv, firstTurnTimings: { visionMs: number; prefixPrefillMs: number },
    mrope?: { next: number; maxPosition: number }) {
    this.policy = policy;
    this.video = video;
    this.kv = kv;
    this.turnPosition = mrope?.next ?? kv.layout.nextPosition;
    this.prefixMaxPosition = mrope?.maxPosition ?? -1;
    this.firstTurnTimings = firstTurnTimings;
  }

  static async create(model: LoadedVlm, video: SessionVideo, opts: SessionOptions = {}): Promise<ChatSession> {
    if (model.kind === 'qwen-vl') return ChatSession.createQwen(model, video, opts);
    const policy = new SparsePolicy(model.model, opts.sparse ?? DENSE_SETTINGS);
    const { prompt, builder } = ChatSession.buildPrompt(model, video, opts);
    const be = model.backend;
    const t0 = performance.now();
    const reused = opts.encoded?.kind === 'qwen-vl' ? undefined : opts.encoded;
    if (reused) policy.useSaliency(reused.patchSaliency);
    const enc = reused?.encoding ?? model.model.encodeVideo(video.pixelValues, video.frames, {
      signal: opts.signal,
      onFrameQK: policy.frameQK(),
      onFrame: (d, n) => opts.onProgress?.('vision', d, n),
    });
    be.sync();
    const visionMs = reused ? 0 : performance.now() - t0;
    const geometry = { frames: enc.frames, grid: enc.grid, pooled: enc.pooled, tokensPerFrame: enc.tokensPerFrame };
    let kv: PrefixKv;
    let prefixPrefillMs: number;
    try {
      await yieldToEventLoop();
      const t1 = performance.now();
      kv = ChatSession.prefillPrefix(model, enc, prompt, policy, opts);
      prefixPrefillMs = performance.now() - t1;
    } catch (err) {
      if (!reused) be.dispose(enc.tokens);
      throw err;
    }
    if (!reused) {
      if (opts.keepEncoded) opts.keepEncoded({ encoding: enc, patchSaliency: policy.patchSaliency });
      else be.dispose(enc.tokens);
    }
    policy.attach(kv);
    return new ChatSession(model, prompt, builder, policy, geometry, kv, { visionMs, prefixPrefillMs });
  }

  /** Qwen-VL: the tower (with token saliency when the policy prunes), the expanded prompt, the pruned prefix. */
  private static async createQwen(model: LoadedQwenVl, video: SessionVideo, opts: SessionOptions): Promise<ChatSession> {
    if (!video.qwen) throw new Error(`model ${model.name} is ${model.config.family}: the video must be prepared with its processor (PreparedVideo.qwen)`);
    if (opts.prefixIds) throw new Error('Qwen-VL sessions build their prompt with the chat template (prefixIds is for LLaVA bench models)');
    if (!model.tokenizer) throw new Error(`model ${model.name} has no tokenizer.json: chat needs one`);
    const policy = new SparsePolicy(model.model, opts.sparse ?? DENSE_SETTINGS);
    const builder = new PromptBuilder(model.tokenizer, model.chatTemplate, null);
    const prompt = buildQwenPrompt(model, builder, video.qwen, null);
    const be = model.backend, grid = video.qwen.grid, merge = model.config.vision.mergeSize;
    const t0 = performance.now();
    const reused = opts.encoded?.kind === 'qwen-vl' && (!policy.plan.saliency || opts.encoded.output.saliency) ? opts.encoded.output : null;
    const enc = reused ?? model.model.encodeVideo(video.pixelValues, [grid], {
      saliency: policy.plan.saliency, signal: opts.signal,
      onProgress: (d, n) => opts.onProgress?.('vision', d, n),
    });
    be.sync();
    const visionMs = reused ? 0 : performance.now() - t0;
    let handedOver = reused !== null;
    const geometry = { frames: grid.t, grid: grid.h / merge, pooled: grid.w / merge, tokensPerFrame: (grid.h / merge) * (grid.w / merge) };
    try {
      await yieldToEventLoop();
      const t1 = performance.now();
      const { kv, next, maxPosition } = prefillQwenPrefix(model, enc, prompt, policy, {
        turnCapacity: opts.turnCapacity ?? DEFAULT_TURN_CAPACITY, pruned: opts.prunedPositions ?? 'original',
        onProgress: (d, n) => opts.onProgress?.('prefill', d, n),
      });
      policy.attach(kv);
      const session = new ChatSession(model, prompt, builder, policy, geometry, kv, { visionMs, prefixPrefillMs: performance.now() - t1 }, { next, maxPosition });
      if (!reused && opts.keepEncoded) {
        opts.keepEncoded({ kind: 'qwen-vl', output: enc });
        handedOver = true;
      }
      return session;
    } finally {
      if (!handedOver) for (const t of encodedTensors({ kind: 'qwen-vl', output: enc })) be.dispose(t);
    }
  }

  private static buildPrompt(model: LoadedModel, video: SessionVideo, opts: SessionOptions): { prompt: PromptParts; builder: PromptBuilder | null } {
    const cfg = model.config;
    if (opts.prefixIds) {
      const span = findVideoSpan(opts.prefixIds, cfg.videoTokenId, video.frames, videoGeometry(cfg).pooled);
      const videoCount = video.frames * videoGeometry(cfg).tokensPerFrame + span.extra;
      return { prompt: { prefixIds: opts.prefixIds, videoStart: span.start, videoCount, turnTail: '' }, builder: null };
    }
    if (!model.tokenizer) throw new Error(`model ${model.name} has no tokenizer.json: chat needs one`);
    const builder = new PromptBuilder(model.tokenizer, model.chatTemplate, cfg);
    const instruction = opts.timeInstruction === false ? null
      : video.timeInstruction ?? timeInstruction(video.durationSec, video.frameTimes);
    return { prompt: builder.build(video.frames, instruction), builder };
  }

  /** The retained prefix (the visual tokens the policy keeps) into a new cache, at the original positions. */
  private static prefillPrefix(model: LoadedModel, enc: VideoEncoding, p: PromptParts, policy: SparsePolicy, opts: SessionOptions): PrefixKv {
    const be = model.backend, llm = model.model.llm;
    const nVisual = enc.frames * enc.tokensPerFrame;
    const keep = policy.selectVisualTokens(enc.frames, enc.tokensPerFrame) ?? Int32Array.from({ length: nVisual }, (_, i) => i);
    const span = { start: p.videoStart, frames: enc.frames, gridH: enc.pooled, gridW: enc.pooled, extra: p.videoCount - nVisual };
    const layout = planPrefix(p.prefixIds.length, span, keep);
    const rows = layout.rows;
    const x = model.model.embedPrompt(p.prefixIds, enc.tokens);
    const xs = rows.length === p.prefixIds.length ? x : be.gatherRows(x, rows);
    if (xs !== x) be.dispose(x);
    const cache = prefillCache(be, llm, xs, opts.turnCapacity ?? DEFAULT_TURN_CAPACITY, { positions: rows },
      (d, n) => opts.onProgress?.('prefill', d, n));
    return new PrefixKv(be, cache, layout);
  }

  get cache() {
    return this.kv.cache;
  }

  /** The retained prefix as it sits in the cache (read-only: the session and its policy change it, nobody else). */
  get layout(): Readonly<PrefixPlan> {
    return this.kv.layout;
  }

  /** Cache slots of the retained prefix. */
  get prefixSlots(): number {
    return this.kv.prefixSlots;
  }

  /** Visual tokens in the retained prefix. */
  get visualTokens(): number {
    return this.kv.layout.visualIds.length;
  }

  /** The inspector's view of a finished turn (`frameTimes`: one per sampled frame). Qwen-VL's token grids are groups of
   *  temporal_patch_size frames: the tiles are the groups, timed by the mean of their frames' times. */
  inspector(m: TurnMeasure, frameTimes: readonly number[]): InspectorTurn {
    if (this.model.kind !== 'qwen-vl') return this.policy.inspector(m, frameTimes);
    const k = this.model.config.vision.temporalPatchSize, last = frameTimes.length - 1;
    const groupTimes = Array.from({ length: this.video.frames }, (_, g) => {
      const ts = Array.from({ length: k }, (_, i) => frameTimes[Math.min(g * k + i, last)] ?? 0);
      return ts.reduce((a, b) => a + b, 0) / k;
    });
    return { ...this.policy.inspector(m, groupTimes), framesPerGroup: k, sampledFrameTimes: [...frameTimes] };
  }

  /** One turn: the question as text, through the chat template (and the text history under history "text"). */
  async ask(question: string, o: AskOptions = {}): Promise<TurnOutput> {
    const q = question.trim();
    if (!q) throw new Error('empty question');
    if (!this.builder) throw new Error('this session was opened from token ids (no tokenizer): ask with askTokens');
    const history = this.policy.plan.history === 'text' ? this.history : [];
    const r = await this.runTurn(this.builder.turnIds(this.prompt, q, history), q, o);
    this.history.push({ question: q, answer: r.answer });
    return r;
  }

  /** One turn given as token ids that continue the prompt (question + assistant header). */
  async askTokens(ids: Int32Array, o: AskOptions = {}): Promise<TurnOutput> {
    if (ids.length === 0) throw new Error('empty question');
    if (ids.includes(this.model.config.videoTokenId)) throw new Error('the question must not contain video placeholder tokens');
    return this.runTurn(ids, '', o);
  }

  /** The question's tokens into the cache after the prefix (or after what is already there); returns the last row's
   *  logits, on the backend. */
  private extend(ids: Int32Array, hooks: Qwen2Hooks | undefined): Tensor {
    const be = this.model.backend, llm = this.model.model.llm, cache = this.kv.cache;
    const at = cache.length;
    if (at + ids.length >= cache.capacity) {
      throw new Error(`the question (${ids.length} tokens) does not fit the session's turn capacity (${cache.capacity - this.prefixSlots} slots)`);
    }
    const x = llm.embed(ids);
    const positions = this.turnPositions(at, ids.length);
    const h = llm.forward(x, cache, { positions, at, hooks, lastOnly: true });
    be.dispose(x);
    cache.length = at + ids.length;
    const logits = llm.logits(h);
    be.dispose(h);
    return logits;
  }

  /** Positions of `n` rows written at slot `at` of this turn. One stream: right after the dense prefix. M-RoPE: the
   *  question (the turn's first rows) continues the prompt's text, and generated rows follow one past the largest
   *  position so far (HF's rope delta). */
  private turnPositions(at: number, n: number): Int32Array | MropePositions {
    const from = this.turnPosition + (at - this.prefixSlots);
    if (this.model.kind !== 'qwen-vl') return Int32Array.from({ length: n }, (_, i) => from + i);
    if (at === this.prefixSlots) {
      this.ropeDelta = Math.max(this.prefixMaxPosition, from + n - 1) + 1 - (at + n);
      return textPositions(from, n);
    }
    return textPositions(at + this.ropeDelta, n);
  }

  /** The next token from backend logits, which it frees: greedy on the device when the backend can (4 bytes back
   *  instead of the logits), else sampled on the host. */
  private pick(logits: Tensor, fx: DeviceSampler | null, sampling: SamplingOptions): number {
    const be = this.model.backend;
    try {
      const id = fx?.argmaxRows(logits);
      if (id) return id[0];
      return sampleToken(be.toHost(logits), sampling);
    } finally {
      be.dispose(logits);
    }
  }

  /** Parity checks: host logits of the prefill of `ids` and of `steps` decode steps, each step's token chosen by `pick`
   *  from the previous logits; dense attention whatever the policy, and the turn is evicted after. */
  stepLogits(ids: Int32Array, steps: number, pick: (logits: Float32Array, step: number) => number): Float32Array[] {
    if (this.disposed) throw new Error('session disposed');
    const be = this.model.backend;
    const host = (t: Tensor) => {
      try { return be.toHost(t); } finally { be.dispose(t); }
    };
    try {
      const rows = [host(this.extend(ids, undefined))];
      for (let k = 0; k < steps; k++) rows.push(host(this.extend(Int32Array.of(pick(rows[k], k)), undefined)));
      return rows;
    } finally {
      this.kv.evictTurn();
    }
  }

  private async runTurn(ids: Int32Array, question: string, o: AskOptions): Promise<TurnOutput> {
    if (this.disposed) throw new Error('session disposed');
    const tok = this.model.tokenizer;
    const be = this.model.backend, cache = this.kv.cache;
    const t0 = performance.now();
    const turn = ++this.turns;
    const maxNew = o.maxNewTokens ?? 256;
    if (!(Number.isInteger(maxNew) && maxNew >= 1)) throw new Error(`maxNewTokens must be a positive integer, got ${maxNew}`);
    const sampling: SamplingOptions = { temperature: o.temperature ?? 0, topP: o.topP ?? 1, rng: createRng(o.seed ?? 0) };
    // Greedy: the backend's device sampler picks the token (null: the host samples from the logits).
    const fx = sampling.temperature > 1e-5 ? null : be.deviceSampler;
    const eos = new Set(o.eosTokenIds ?? this.model.generation.eosTokenIds);
    const generated: number[] = [];
    let text = '';
    let stop: TurnOutput['stopReason'] = 'max_tokens';
    let kvBytes = 0;
    let prefillMs = 0, decodeMs = 0, ttftMs = 0;
    const prefillHooks = this.policy.beginTurn(o.decodeSparsity);
    try {
      let next = this.pick(this.extend(ids, prefillHooks), fx, sampling);
      prefillMs = performance.now() - t0;
      const hooks = this.policy.afterQuestion(cache.length);
      const td = performance.now();
      for (let k = 0; k < maxNew; k++) {
        if (o.signal?.aborted) { stop = 'aborted'; break; }
        const id = next;
        if (k === 0) ttftMs = performance.now() - t0;
        if (eos.has(id)) { stop = 'eos'; break; }
        generated.push(id);
        const more = k + 1 < maxNew && cache.length + 1 < cache.capacity;
        // Queue the next step before the text work below, so the device computes meanwhile.
        let queued = more ? this.extend(Int32Array.of(id), hooks) : null;
        try {
          if (tok) {
            const full = tok.decode(generated, true);
            // Hold back text ending in an incomplete UTF-8 sequence (decoded as U+FFFD) until it completes.
            if (!full.endsWith('\uFFFD') && full.length >= text.length) {
              const delta = full.slice(text.length);
              text = full;
              if (delta) o.onToken?.(delta, id);
            }
          } else {
            o.onToken?.('', id);
          }
          if (!queued) break;
          if (fx) await yieldToEventLoop();
          const l = queued;
          queued = null;
          next = this.pick(l, fx, sampling);
          if (!fx) await yieldToEventLoop();
        } finally {
          if (queued) be.dispose(queued);
        }
      }
      decodeMs = performance.now() - td;
      kvBytes = be.kvBytes(cache, cache.length);
    } finally {
      this.kv.evictTurn();
    }
    const answer = tok ? tok.decode(generated, true) : '';
    if (answer.length > text.length) o.onToken?.(answer.slice(text.length), generated[generated.length - 1] ?? -1);
    const first = this.firstTurnTimings;
    this.firstTurnTimings = null;
    const nVisual = this.video.frames * this.video.tokensPerFrame;
    // The first token comes from the prefill; each later one, and an EOS or a cancel after one, cost a decode step.
    const decodeSteps = Math.max(0, generated.length - 1 + (stop === 'eos' || stop === 'aborted' ? 1 : 0));
    const timings: TurnTimings = {
      visionMs: first?.visionMs ?? 0, prefixPrefillMs: first?.prefixPrefillMs ?? 0, prefillMs, decodeMs, ttftMs,
      totalMs: performance.now() - t0,
    };
    const measure = this.policy.finishTurn({ turn, tokens: generated.length, stopReason: stop, visualTokensTotal: nVisual, kvBytes, timings });
    return {
      turn, question, answer, tokenIds: generated, tokens: generated.length, stopReason: stop,
      promptTokens: ids.length, visualTokens: this.visualTokens, visualTokensTotal: nVisual, kvBytes,
      decodeTokensPerSec: decodeSteps > 0 && decodeMs > 0 ? (decodeSteps * 1000) / decodeMs : 0,
      timings, measure,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.policy.dispose();
    this.model.backend.disposeKvCache(this.kv.cache);
  }
}
