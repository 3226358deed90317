// SparseVILA and the comparison policies as ChatSession runs them. Fixed per video: the patch saliency from the vision
// tower and prefill pruning. Per turn: scoring the retained visual KV by the question, then decode retrieval (or
// query-prune's compaction), and the turn's measurements. The session owns the KV cache; the policy reads its layout
// and asks for changes through PolicyKv.
//   video:  frameQK() while the vision tower runs -> selectVisualTokens() -> attach(kv) once the prefix is prefilled
//   turn:   beginTurn() hooks the question prefill -> afterQuestion() hooks every decode step -> finishTurn()
import { videoGeometry } from '../models/llava-onevision-config.ts';
import { LlavaOnevision, type VideoEncodeOptions } from '../models/llava-onevision.ts';
import type { QwenVl } from '../models/qwen-vl.ts';
import type { Qwen2Hooks } from '../models/qwen2.ts';
import { SparseKvController } from './controller.ts';
import { resolvePolicy, type PolicyPlan, type SparseSettings } from './policy.ts';
import type { PolicyKv } from './prefix-kv.ts';
import { PatchSaliencyCollector } from './saliency.ts';
import { selectPrefillTokens } from './select.ts';
import { inspectorTurn, makeTimings, type InspectorTurn, type TurnMeasure } from './stats.ts';
import { tokenSaliencyFromPatches } from './tokenSaliency.ts';

/** What the session measured of one turn (its own timings; the policy adds retrieval). */
export interface SessionTurn {
  turn: number;
  tokens: number;
  stopReason: string;
  visualTokensTotal: number;
  kvBytes: number;
  timings: { visionMs: number; prefixPrefillMs: number; prefillMs: number; decodeMs: number; ttftMs: number };
}

export class SparsePolicy {
  readonly plan: PolicyPlan;
  /** LLaVA: the tower's patch grid side (0 for Qwen-VL, whose tower gives token saliency itself). */
  readonly grid: number;
  /** The LLM token grid of one frame (group) the inspector draws. */
  gridH: number;
  gridW: number;
  patchSaliency: Float32Array | null = null;
  tokenSaliency: Float32Array | null = null;
  frames = 0;
  private collector: PatchSaliencyCollector | null = null;
  private givenPatchSaliency: Float32Array | null = null;
  private givenTokenSaliency: Float32Array | null = null;
  private controller: SparseKvController | null = null;
  private kv: PolicyKv | null = null;

  constructor(readonly model: LlavaOnevision | QwenVl, settings: SparseSettings) {
    this.plan = resolvePolicy(settings);
    const g = model instanceof LlavaOnevision ? videoGeometry(model.config) : { grid: 0, pooled: 0 };
    this.grid = g.grid;
    this.gridH = this.gridW = g.pooled;
  }

  /** The vision tower's per frame q/k hook (patch saliency), or undefined when the policy needs no saliency. */
  frameQK(): VideoEncodeOptions['onFrameQK'] {
    if (!this.plan.saliency) return undefined;
    const m = this.model;
    if (!(m instanceof LlavaOnevision)) throw new Error('SparsePolicy.frameQK is the LLaVA tower hook; Qwen-VL towers give token saliency (useTokenSaliency)');
    const v = m.config.vision;
    const collector = new PatchSaliencyCollector(m.be, m.saliencyLayer, v.heads, v.headDim, this.grid * this.grid);
    this.collector = collector;
    return (_f, _layer, q, k) => collector.add(q, k);
  }

  /** Patch saliency computed before (the same frames through the same vision tower) instead of collecting it. */
  useSaliency(patchSaliency: Float32Array | null): void {
    if (!this.plan.saliency) return;
    if (!patchSaliency) throw new Error('SparsePolicy: this policy needs the patch saliency, and the reused encoding has none');
    this.collector = null;
    this.givenPatchSaliency = patchSaliency;
  }

  /** Qwen-VL: per-token saliency from the tower (one score per merged token, frame groups of gridH x gridW) when the
   *  policy needs it. */
  useTokenSaliency(tokens: Float32Array | null, gridH: number, gridW: number): void {
    this.gridH = gridH;
    this.gridW = gridW;
    if (!this.plan.saliency) return;
    if (!tokens) throw new Error('SparsePolicy: this policy needs token saliency and the vision tower gave none');
    this.collector = null;
    this.givenTokenSaliency = tokens;
  }

  /** Prefill pruning after the vision tower ran: ascending visual token ids to keep, or undefined for all of them
   *  (the session's unpruned path, bit-identical to dense). */
  selectVisualTokens(frames: number, tokensPerFrame: number): Int32Array | undefined {
    this.frames = frames;
    if (this.givenTokenSaliency) {
      this.tokenSaliency = this.givenTokenSaliency;
    } else {
      const patchSaliency = this.collector?.result() ?? this.givenPatchSaliency;
      if (!patchSaliency) return undefined;
      this.patchSaliency = patchSaliency;
      this.tokenSaliency = tokenSaliencyFromPatches(this.patchSaliency, frames, this.grid, this.grid);
    }
    const kept = selectPrefillTokens(this.tokenSaliency, {
      sparsity: this.plan.prefillSparsity, frames, tokensPerFrame, perFrameFloor: this.plan.perFrameFloor,
    });
    return kept.length === frames * tokensPerFrame ? undefined : kept;
  }

  /** Bind to the session's cache once its prefix is prefilled. */
  attach(kv: PolicyKv): void {
    const t = this.model.config.text;
    this.kv = kv;
    this.controller = new SparseKvController(this.model.be, kv, this.plan,
      { layers: t.layers, heads: t.heads, kvHeads: t.kvHeads, headDim: t.headDim });
  }

  private ready(): SparseKvController {
    if (!this.controller) throw new Error('SparsePolicy: call attach(kv) first');
    return this.controller;
  }

  /** Start a turn (decode sparsity: this turn's, the policy's default otherwise); returns the question prefill's hooks. */
  beginTurn(decodeSparsity?: number): Qwen2Hooks | undefined {
    const ctl = this.ready();
    const { at } = ctl.beginTurn(decodeSparsity);
    return ctl.questionHooks(at);
  }

  /** After the question prefill (`kvLen` slots in use): choose what decode reads; returns every decode step's hooks. */
  afterQuestion(kvLen: number): Qwen2Hooks {
    const ctl = this.ready(), kv = this.kv!;
    ctl.finishQuestion(kvLen);
    return ctl.decodeHooks(() => kv.cache.length + 1);
  }

  /** After the turn: its measurements (and the controller is ready for the next turn). */
  finishTurn(r: SessionTurn): TurnMeasure {
    const ctl = this.ready();
    // After the answer: refresh and pages change the selection while it is written.
    const ret = ctl.turnRetrieval();
    ctl.endTurn();
    const t = r.timings;
    return {
      turn: r.turn,
      policy: this.plan.policy,
      tokens: r.tokens,
      visualTotal: r.visualTokensTotal,
      retainedIds: ret.retainedIds,
      retrievedByLayer: ret.retrievedByLayer,
      massShareByLayer: ret.massShareByLayer,
      timeline: ret.timeline,
      kvBytes: r.kvBytes,
      prefixPrefillMs: t.prefixPrefillMs,
      timings: makeTimings({
        visionMs: t.visionMs,
        prefillMs: t.prefixPrefillMs + t.prefillMs - ret.scoringMs,
        retrievalMs: ret.retrievalMs,
        decodeMs: t.decodeMs,
        ttftMs: t.visionMs + t.prefixPrefillMs + t.ttftMs,
        tokens: r.tokens + (r.stopReason === 'eos' ? 1 : 0),
      }),
      denseTimings: null,
    };
  }

  /** Frees the policy's backend state (the session is closing). */
  dispose(): void {
    this.controller?.dispose();
  }

  inspector(m: TurnMeasure, frameTimes: readonly number[]): InspectorTurn {
    return inspectorTurn(m, { frames: this.frames, gridH: this.gridH, gridW: this.gridW, frameTimes, saliency: this.tokenSaliency });
  }
}
