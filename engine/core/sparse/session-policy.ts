// SparseVILA (and the comparison policies) plugged into the engine's ChatSession through its hooks:
//   const sp = new SparsePolicy(model, settings);
//   const s = await ChatSession.create(model, video, { ...opts, ...sp.sessionOptions() });
//   sp.attach(s);
//   const r = await s.ask(q, { ...o, ...sp.askOptions() });   // per turn
//   const m = sp.finishTurn(r);  -> turnStats(m) / sp.inspector(m, frameTimes)
import type { InspectorTurn } from '../../../electron/contract.ts';
import { videoGeometry } from '../models/llava-onevision-config.ts';
import type { LoadedModel } from '../models/load-model.ts';
import type { Qwen2Hooks } from '../models/qwen2.ts';
import type { AskOptions, ChatSession, SessionOptions, TurnOutput } from '../session/chat-session.ts';
import { SparseKvController, type TurnRetrieval } from './controller.ts';
import type { PrefixPlan } from './layout.ts';
import { resolvePolicy, type PolicyPlan, type SparseSettings } from './policy.ts';
import { PatchSaliencyCollector } from './saliency.ts';
import { selectPrefillTokens } from './select.ts';
import { inspectorTurn, makeTimings, type TurnMeasure } from './stats.ts';
import { tokenSaliencyFromPatches } from './tokenSaliency.ts';

export class SparsePolicy {
  readonly plan: PolicyPlan;
  readonly grid: number;
  readonly pooled: number;
  patchSaliency: Float32Array | null = null;
  tokenSaliency: Float32Array | null = null;
  frames = 0;
  private collector: PatchSaliencyCollector | null = null;
  private controller: SparseKvController | null = null;
  private session: ChatSession | null = null;
  private retrieval: TurnRetrieval | null = null;

  constructor(readonly model: LoadedModel, settings: SparseSettings) {
    this.plan = resolvePolicy(settings);
    const g = videoGeometry(model.config);
    this.grid = g.grid;
    this.pooled = g.pooled;
  }

  /** Options for ChatSession.create: saliency from the vision tower and prefill pruning. */
  sessionOptions(): Pick<SessionOptions, 'onFrameQK' | 'selectVisualTokens' | 'history'> {
    const v = this.model.config.vision;
    const m = this.model.model;
    this.collector = this.plan.saliency
      ? new PatchSaliencyCollector(this.model.backend, m.saliencyLayer, v.heads, v.headDim, this.grid * this.grid)
      : null;
    const collector = this.collector;
    return {
      history: this.plan.history,
      onFrameQK: collector ? (_f, _layer, q, k) => collector.add(q, k) : undefined,
      selectVisualTokens: ({ video }) => {
        this.frames = video.frames;
        if (!collector) return undefined;
        this.patchSaliency = collector.result();
        this.tokenSaliency = tokenSaliencyFromPatches(this.patchSaliency, video.frames, this.grid, this.grid);
        const kept = selectPrefillTokens(this.tokenSaliency, {
          sparsity: this.plan.prefillSparsity, frames: video.frames, tokensPerFrame: video.tokensPerFrame,
          perFrameFloor: this.plan.perFrameFloor,
        });
        // Keeping everything takes the session's unpruned path (bit-identical to dense).
        return kept.length === video.frames * video.tokensPerFrame ? undefined : kept;
      },
    };
  }

  /** Bind to the session once its prefix is prefilled. */
  attach(session: ChatSession): void {
    if (session.model !== this.model) throw new Error('SparsePolicy: the session uses another model');
    this.session = session;
    this.frames = session.video.frames;
    const t = this.model.config.text;
    this.controller = new SparseKvController(this.model.backend, session.cache, prefixPlanOf(session), this.plan,
      { layers: t.layers, heads: t.heads, kvHeads: t.kvHeads, headDim: t.headDim });
  }

  /** Options for one ChatSession.ask: question scoring while it is prefilled, then the decode slot sets. */
  askOptions(decodeSparsity?: number): Pick<AskOptions, 'prefillHooks' | 'decodeHooks'> {
    const ctl = this.controller, s = this.session;
    if (!ctl || !s) throw new Error('SparsePolicy: call attach(session) first');
    const { at } = ctl.beginTurn(decodeSparsity);
    this.retrieval = null;
    const prefillHooks: Qwen2Hooks | undefined = ctl.wantsQuestionScores
      ? { onQuery: (layer, q, kvLen) => ctl.onQuestionQuery(layer, q, kvLen, at) }
      : undefined;
    return {
      prefillHooks,
      decodeHooks: (ctx) => {
        ctl.finishQuestion(ctx.kvLen);
        this.retrieval = ctl.turnRetrieval();
        if (ctl.prefixLength !== s.prefixSlots) syncSession(s, ctl.prefix); // query-prune compacted the cache
        return { slots: (layer) => ctl.slotsFor(layer, s.cache.length + 1) };
      },
    };
  }

  /** After ask(): the turn's measurements (and the controller is ready for the next turn). */
  finishTurn(r: TurnOutput): TurnMeasure {
    const ctl = this.controller;
    if (!ctl) throw new Error('SparsePolicy: call attach(session) first');
    ctl.endTurn();
    const ret = this.retrieval ?? { retainedIds: ctl.prefix.visualIds, retrievedByLayer: null, massShareByLayer: null, retrievalMs: 0, scoringMs: 0 };
    const t = r.timings;
    return {
      turn: r.turn,
      policy: this.plan.policy,
      tokens: r.tokens,
      visualTotal: r.visualTokensTotal,
      retainedIds: ret.retainedIds,
      retrievedByLayer: ret.retrievedByLayer,
      massShareByLayer: ret.massShareByLayer,
      kvBytes: r.kvBytes,
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

  inspector(m: TurnMeasure, frameTimes: readonly number[]): InspectorTurn {
    return inspectorTurn(m, { frames: this.frames, gridH: this.pooled, gridW: this.pooled, frameTimes, saliency: this.tokenSaliency });
  }
}

/** The session's retained prefix in the controller's terms. */
export function prefixPlanOf(s: ChatSession): PrefixPlan {
  const isVisual = new Uint8Array(s.prefixSlots);
  for (const slot of s.visualSlots) isVisual[slot] = 1;
  const nonVisual: number[] = [];
  for (let i = 0; i < s.prefixSlots; i++) if (!isVisual[i]) nonVisual.push(i);
  return {
    rows: s.prefixPositions,
    visualSlots: s.visualSlots,
    visualIds: s.visualTokenIndex,
    nonVisualSlots: Int32Array.from(nonVisual),
    nextPosition: s.turnPosition,
    visualTotal: s.video.frames * s.video.tokensPerFrame,
  };
}

function syncSession(s: ChatSession, p: PrefixPlan): void {
  s.prefixSlots = p.rows.length;
  s.prefixPositions = p.rows;
  s.visualSlots = p.visualSlots;
  s.visualTokenIndex = p.visualIds;
}
