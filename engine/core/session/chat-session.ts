// A multi-turn chat about one video, in explicit steps so sparse policies can hook in:
//   create: encodeVideo -> buildPrompt -> prefillPrefix (optionally keeping only selected visual tokens)
//   ask:    prefillTurn (question) -> [decode hooks, e.g. retrieval] -> decode -> evictTurn
// KV layout: [retained prefix: template head + video tokens + time instruction][this turn: question + answer].
// Kept tokens keep their original RoPE positions; a turn continues at the position right after the prefix.
import type { KvCache, Tensor } from '../backend/backend.ts';
import { fusedDecodeOps, type FusedDecodeOps } from '../backend/fused.ts';
import type { LoadedModel } from '../models/load-model.ts';
import type { VideoEncodeOptions, VideoEncoding } from '../models/llava-onevision.ts';
import type { Qwen2Hooks } from '../models/qwen2.ts';
import { PromptBuilder, timeInstruction, type HistoryTurn, type PromptParts } from './prompt.ts';
import { createRng, sampleToken } from './sampling.ts';

/** What the session needs of a prepared video (engine/core/video's PreparedVideo fits). */
export interface SessionVideo {
  pixelValues: Float32Array;
  frames: number;
  frameTimes: number[];
  durationSec: number;
  timeInstruction?: string;
}

export interface PrefixSelectionContext {
  video: VideoEncoding;
  prompt: PromptParts;
}

/** KV slots a session reserves for one turn unless told otherwise (SessionOptions.turnCapacity). */
export const DEFAULT_TURN_CAPACITY = 2048;

export interface SessionOptions {
  /** KV slots reserved for one turn (question + answer, plus text history). Default 2048. */
  turnCapacity?: number;
  /** Put LLaVA-Video's time instruction after the video. Default true. */
  timeInstruction?: boolean;
  /** What the model sees of earlier turns: nothing (default), or their text re-prefilled each turn. */
  history?: 'none' | 'text';
  signal?: AbortSignal;
  onProgress?: (stage: 'vision' | 'prefill', done: number, total: number) => void;
  /** Per frame q/k of the SigLIP layer feeding the projector (patch saliency). */
  onFrameQK?: VideoEncodeOptions['onFrameQK'];
  /** Prefill pruning: ascending indices into the video's pooled tokens (0 .. frames*tokensPerFrame-1) to keep.
   *  The image_newline and all text are always kept. Undefined keeps everything. */
  selectVisualTokens?: (ctx: PrefixSelectionContext) => Int32Array | undefined;
}

export interface TurnContext {
  session: ChatSession;
  turn: number;
  /** Slots of this turn's segment in the cache: [turnStart, kvLen). */
  turnStart: number;
  kvLen: number;
}

export interface AskOptions {
  maxNewTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  signal?: AbortSignal;
  /** Streaming: called with each new piece of answer text (and the token id). */
  onToken?: (delta: string, tokenId: number) => void;
  /** Hooks while the question is prefilled (e.g. to score visual tokens with the question's queries). */
  prefillHooks?: Qwen2Hooks;
  /** Called once after the question prefill; the hooks it returns apply to every decode step (retrieval). */
  decodeHooks?: (ctx: TurnContext) => Qwen2Hooks | undefined;
}

export interface TurnTimings {
  /** Vision tower + projector + pooling (first turn only; 0 later). */
  visionMs: number;
  /** Prefill of the retained prefix (first turn only; 0 later). */
  prefixPrefillMs: number;
  /** Prefill of this turn's question segment. */
  prefillMs: number;
  decodeMs: number;
  /** From ask() to the first answer token (includes the question prefill). */
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
  /** Visual tokens in the retained prefix (after any pruning), and before pruning. */
  visualTokens: number;
  visualTokensTotal: number;
  /** KV cache bytes in use at the end of the turn (before eviction). */
  kvBytes: number;
  decodeTokensPerSec: number;
  timings: TurnTimings;
}

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

export class ChatSession {
  readonly cache: KvCache;
  /** Cache slots of the retained prefix. */
  prefixSlots = 0;
  /** RoPE position of each retained prefix slot. */
  prefixPositions: Int32Array = new Int32Array(0);
  /** Cache slots holding visual tokens (pooled video tokens; not the newline), ascending; and their token index. */
  visualSlots: Int32Array = new Int32Array(0);
  visualTokenIndex: Int32Array = new Int32Array(0);
  /** Position where each turn's segment starts (right after the original, unpruned prefix). */
  turnPosition = 0;
  turns = 0;
  readonly history: HistoryTurn[] = [];
  private firstTurnTimings: { visionMs: number; prefixPrefillMs: number } | null = null;
  private disposed = false;

  private constructor(readonly model: LoadedModel, readonly video: VideoEncoding, readonly prompt: PromptParts,
    readonly builder: PromptBuilder, readonly opts: SessionOptions) {
    const turnCap = opts.turnCapacity ?? DEFAULT_TURN_CAPACITY;
    this.cache = model.model.llm.createCache(prompt.prefixIds.length + turnCap);
  }

  static async create(model: LoadedModel, video: SessionVideo, opts: SessionOptions = {}): Promise<ChatSession> {
    if (!model.tokenizer) throw new Error(`model ${model.name} has no tokenizer.json: chat needs one`);
    const t0 = performance.now();
    const enc = ChatSession.encodeVideo(model, video, opts);
    const visionMs = performance.now() - t0;
    const builder = new PromptBuilder(model.tokenizer, model.chatTemplate, model.config);
    const instruction = opts.timeInstruction === false ? null
      : video.timeInstruction ?? timeInstruction(video.durationSec, video.frameTimes);
    const prompt = builder.build(video.frames, instruction);
    const s = new ChatSession(model, enc, prompt, builder, opts);
    await yieldToEventLoop();
    const t1 = performance.now();
    s.prefillPrefix();
    s.firstTurnTimings = { visionMs, prefixPrefillMs: performance.now() - t1 };
    return s;
  }

  /** Step 1: SigLIP -> projector -> pooling, frame by frame. */
  static encodeVideo(model: LoadedModel, video: SessionVideo, opts: SessionOptions): VideoEncoding {
    return model.model.encodeVideo(video.pixelValues, video.frames, {
      signal: opts.signal,
      onFrameQK: opts.onFrameQK,
      onFrame: (d, n) => opts.onProgress?.('vision', d, n),
    });
  }

  /** Step 2: prefill the retained prefix (kept visual tokens only), positions = original token indices. */
  prefillPrefix(): void {
    const be = this.model.backend, p = this.prompt, v = this.video;
    const nVisual = v.frames * v.tokensPerFrame;
    const keep = this.opts.selectVisualTokens?.({ video: v, prompt: p });
    const x = this.model.model.embedPrompt(p.prefixIds, v.tokens);
    let rows: Int32Array;
    if (keep) {
      for (let i = 0; i < keep.length; i++) {
        if (keep[i] < 0 || keep[i] >= nVisual || (i > 0 && keep[i] <= keep[i - 1])) {
          throw new Error('selectVisualTokens must return ascending indices within the video tokens');
        }
      }
      const list: number[] = [];
      for (let i = 0; i < p.videoStart; i++) list.push(i);
      for (const k of keep) list.push(p.videoStart + k);
      for (let i = p.videoStart + nVisual; i < p.prefixIds.length; i++) list.push(i);
      rows = Int32Array.from(list);
      this.visualSlots = Int32Array.from(keep, (_, i) => p.videoStart + i);
      this.visualTokenIndex = Int32Array.from(keep);
    } else {
      rows = Int32Array.from({ length: p.prefixIds.length }, (_, i) => i);
      this.visualSlots = Int32Array.from({ length: nVisual }, (_, i) => p.videoStart + i);
      this.visualTokenIndex = Int32Array.from({ length: nVisual }, (_, i) => i);
    }
    const xs = keep ? be.gatherRows(x, rows) : x;
    if (xs !== x) be.dispose(x);
    this.opts.onProgress?.('prefill', 0, rows.length);
    const h = this.model.model.llm.forward(xs, this.cache, { positions: rows, at: 0, lastOnly: true });
    be.dispose(xs);
    be.dispose(h);
    this.opts.onProgress?.('prefill', rows.length, rows.length);
    this.prefixSlots = rows.length;
    this.prefixPositions = rows;
    this.cache.length = rows.length;
    this.turnPosition = p.prefixIds.length;
  }

  /** Step 3: prefill a turn segment after the prefix; returns the last row's logits. */
  prefillTurn(ids: Int32Array, hooks?: Qwen2Hooks): Float32Array {
    const be = this.model.backend, logits = this.turnLogits(ids, hooks);
    const out = be.toHost(logits);
    be.dispose(logits);
    return out;
  }

  /** prefillTurn with the logits left on the backend (greedy decoding reads only their argmax). */
  private turnLogits(ids: Int32Array, hooks?: Qwen2Hooks): Tensor {
    const be = this.model.backend, llm = this.model.model.llm;
    const at = this.cache.length;
    if (at + ids.length >= this.cache.capacity) {
      throw new Error(`the question (${ids.length} tokens) does not fit the session's turn capacity (${this.cache.capacity - this.prefixSlots} slots)`);
    }
    const x = llm.embed(ids);
    const positions = Int32Array.from({ length: ids.length }, (_, i) => this.turnPosition + (at - this.prefixSlots) + i);
    const h = llm.forward(x, this.cache, { positions, at, hooks, lastOnly: true });
    be.dispose(x);
    this.cache.length = at + ids.length;
    const logits = llm.logits(h);
    be.dispose(h);
    return logits;
  }

  /** The backend's fused ops when sampling is greedy (the device then picks the token), else null. */
  private greedyOps(sampling: Parameters<typeof sampleToken>[1]): FusedDecodeOps | null {
    return sampling.temperature > 1e-5 ? null : fusedDecodeOps(this.model.backend);
  }

  /** The greedy token of device logits (4 bytes back instead of the logits), or a host sample when the backend
   *  declines; frees the logits. */
  private takeToken(logits: Tensor, fx: FusedDecodeOps, sampling: Parameters<typeof sampleToken>[1]): number {
    try {
      const id = fx.argmaxRows(logits);
      if (id) return id[0];
      return sampleToken(this.model.backend.toHost(logits), sampling);
    } finally {
      this.model.backend.dispose(logits);
    }
  }

  /** The next token after `ids`: greedy on the device when the backend can. */
  private nextToken(ids: Int32Array, hooks: Qwen2Hooks | undefined, sampling: Parameters<typeof sampleToken>[1], prefill: boolean): number {
    const fx = this.greedyOps(sampling);
    if (fx) return this.takeToken(this.turnLogits(ids, hooks), fx, sampling);
    return sampleToken(prefill ? this.prefillTurn(ids, hooks) : this.decodeStep(ids[0], hooks), sampling);
  }

  /** Step 4: one decode step for token `id`; returns next-token logits. */
  decodeStep(id: number, hooks?: Qwen2Hooks): Float32Array {
    return this.prefillTurn(Int32Array.of(id), hooks);
  }

  /** Step 5: drop this turn's KV (question + answer); the prefix stays. */
  evictTurn(): void {
    this.cache.length = this.prefixSlots;
  }

  async ask(question: string, o: AskOptions = {}): Promise<TurnOutput> {
    if (this.disposed) throw new Error('session disposed');
    const q = question.trim();
    if (!q) throw new Error('empty question');
    const tok = this.model.tokenizer!;
    const t0 = performance.now();
    const turn = ++this.turns;
    const ids = this.builder.turnIds(this.prompt, q, this.opts.history === 'text' ? this.history : []);
    const maxNew = o.maxNewTokens ?? 256;
    const rng = createRng(o.seed ?? 0);
    const sampling = { temperature: o.temperature ?? 0, topP: o.topP ?? 1, rng };
    const eos = new Set(this.model.generation.eosTokenIds);
    const turnStart = this.cache.length;
    const generated: number[] = [];
    let text = '';
    let stop: TurnOutput['stopReason'] = 'max_tokens';
    let kvBytes = 0;
    let prefillMs = 0, decodeMs = 0, ttftMs = 0;
    try {
      let next = this.nextToken(ids, o.prefillHooks, sampling, true);
      prefillMs = performance.now() - t0;
      const hooks = o.decodeHooks?.({ session: this, turn, turnStart, kvLen: this.cache.length });
      const td = performance.now();
      const fx = this.greedyOps(sampling);
      for (let k = 0; k < maxNew; k++) {
        if (o.signal?.aborted) { stop = 'aborted'; break; }
        const id = next;
        if (k === 0) ttftMs = performance.now() - t0;
        if (eos.has(id)) { stop = 'eos'; break; }
        generated.push(id);
        const more = k + 1 < maxNew && this.cache.length + 1 < this.cache.capacity;
        // Greedy on the device: queue the next step before the text work below, so the GPU computes meanwhile.
        let queued = more && fx ? this.turnLogits(Int32Array.of(id), hooks) : null;
        try {
          const full = tok.decode(generated, true);
          // Hold back text ending in an incomplete UTF-8 sequence (decoded as U+FFFD) until it completes.
          if (!full.endsWith('\uFFFD') && full.length >= text.length) {
            const delta = full.slice(text.length);
            text = full;
            if (delta) o.onToken?.(delta, id);
          }
          if (!more) break;
          if (queued && fx) {
            await yieldToEventLoop();
            const l = queued;
            queued = null;
            next = this.takeToken(l, fx, sampling);
          } else {
            next = this.nextToken(Int32Array.of(id), hooks, sampling, false);
            await yieldToEventLoop();
          }
        } finally {
          if (queued) this.model.backend.dispose(queued);
        }
      }
      decodeMs = performance.now() - td;
      kvBytes = this.model.backend.kvBytes(this.cache, this.cache.length);
    } finally {
      this.evictTurn();
    }
    const answer = tok.decode(generated, true);
    if (answer.length > text.length) o.onToken?.(answer.slice(text.length), generated[generated.length - 1] ?? -1);
    this.history.push({ question: q, answer });
    const first = this.firstTurnTimings;
    this.firstTurnTimings = null;
    const nVisual = this.video.frames * this.video.tokensPerFrame;
    // The first token comes from the prefill; each later one, and an EOS or a cancel after one, cost a decode step.
    const decodeSteps = Math.max(0, generated.length - 1 + (stop === 'eos' || stop === 'aborted' ? 1 : 0));
    return {
      turn, question: q, answer, tokenIds: generated, tokens: generated.length, stopReason: stop,
      promptTokens: ids.length, visualTokens: this.visualSlots.length, visualTokensTotal: nVisual, kvBytes,
      decodeTokensPerSec: decodeSteps > 0 && decodeMs > 0 ? (decodeSteps * 1000) / decodeMs : 0,
      timings: {
        visionMs: first?.visionMs ?? 0, prefixPrefillMs: first?.prefixPrefillMs ?? 0, prefillMs, decodeMs, ttftMs,
        totalMs: performance.now() - t0,
      },
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.backend.disposeKvCache(this.cache);
    this.model.backend.dispose(this.video.tokens as Tensor);
  }
}
