// The KV side of a SparseVILA conversation: which cache slots each layer reads, per turn.
//
// Life of a turn (the model code calls these through its layer hooks):
//   beginTurn()                      -> where the turn's question goes (slot right after the retained prefix, and the
//                                       position right after the dense prefix: evicted positions are reused)
//   onQuestionQuery(layer, q, ...)   -> during the question prefill, after the layer wrote its K/V: score retained
//                                       visual slots by the question's attention (Backend.kvScores); under 'fastv'
//                                       only at its layer, which picks what the later layers read from then on
//   finishQuestion()                 -> sparsevila's selection by retrieval mode (retrieval-settings.ts), or
//                                       permanent compaction at turn 1 (query-prune)
//   decodeHooks() / slotsFor()       -> the slots decode attends to (undefined = all); 'refresh' and 'pages' change
//                                       them during the answer (onDecodeQuery), recorded in the turn's timeline
//   endTurn()                        -> forget the turn's selection (the session evicts the turn's KV)
// The session owns the cache and its layout; the controller reads them through PolicyKv and asks for the one change a
// policy makes to the prefix (query-prune's compaction) through PolicyKv.compactPrefix.
import type { Backend, KvCache, PageSlots, PageTable, Tensor } from '../backend/backend.ts';
import type { Qwen2Hooks } from '../models/qwen2.ts';
import { decodeSlots, mergeAscending, type PrefixPlan } from './layout.ts';
import type { PolicyKv } from './prefix-kv.ts';
import type { PolicyPlan } from './policy.ts';
import { QueryWindow } from './query-window.ts';
import { checkSparsity, retrievalBudget, selectByMass, selectTopCandidates, topKAscending, type RetrievalSelection } from './select.ts';
import type { RetrievalChange } from './stats.ts';

export interface LlmDims {
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
}

export interface TurnRetrieval {
  /** Visual ids in the cache when the turn's question was scored. */
  retainedIds: Int32Array;
  /** Per layer: the visual ids decode attends to (null: all retained). */
  retrievedByLayer: Int32Array[] | null;
  massShareByLayer: number[] | null;
  retrievalMs: number;
  /** The part of retrievalMs spent scoring inside the question prefill's layer hooks. */
  scoringMs: number;
  /** When the selection changed during the answer ('refresh'; 'pages'): what was read from which generated token. */
  timeline: RetrievalChange[] | null;
}

export class SparseKvController {
  private scoreSums: (Float64Array | null)[] = [];
  private scoreRows: number[] = [];
  // Scores still on the device (Backend.kvScoresDeferred): collected in finishQuestion with one synchronisation.
  private pendingScores: { layer: number; rows: number; get: () => Float32Array }[] = [];
  private base: (Int32Array | null)[] = [];
  private compacted = false;
  private retrievalMs = 0;
  private scoringMs = 0;
  private turnRetainedIds: Int32Array = new Int32Array(0);
  private lastSelected: Int32Array[] = [];
  private lastMass: number[] = [];
  private permanentMass: number | null = null;
  private turnSparsity = 0;
  /** Visual tokens a retrieved set holds this turn (retrievalBudget). */
  private budget = 0;
  /** fastv: slots in use while the question prefill runs (the slots hook gets no kvLen). */
  private questionKvLen = 0;
  /** refresh: the recent decode steps' queries, and the decode step now running (-1 before the first). */
  private window: QueryWindow | null = null;
  private step = -1;
  private timeline: RetrievalChange[] | null = null;
  /** pages: the prefix's page bounds (built at the first paged turn) and this turn's pages per step. */
  private pageTable: PageTable | null = null;
  private topPages = 0;

  constructor(
    private readonly backend: Backend,
    private readonly kv: PolicyKv,
    private readonly policy: PolicyPlan,
    private readonly dims: LlmDims,
  ) {
    const r = policy.retrieval;
    if (policy.decode === 'per-turn' && r.mode === 'fastv' && r.fastvLayer >= dims.layers) {
      throw new Error(`retrieval fastv: layer ${r.fastvLayer} is not below the model's ${dims.layers} layers`);
    }
  }

  private get mode() {
    return this.policy.retrieval.mode;
  }

  private get plan(): Readonly<PrefixPlan> {
    return this.kv.layout;
  }

  private get prefixSlots(): number {
    return this.kv.layout.rows.length;
  }

  private get cache(): KvCache {
    return this.kv.cache;
  }

  /** Whether the question prefill needs the per-layer query hook this turn. */
  get wantsQuestionScores(): boolean {
    if (this.plan.visualSlots.length === 0) return false;
    if (this.policy.decode === 'per-turn') return this.mode !== 'pages';
    return this.policy.decode === 'permanent' && !this.compacted;
  }

  /** The question prefill's hooks this turn (undefined: none). `at`: beginTurn's slot. */
  questionHooks(at: number): Qwen2Hooks | undefined {
    if (!this.wantsQuestionScores) return undefined;
    const onQuery = (layer: number, q: Tensor, kvLen: number) => this.onQuestionQuery(layer, q, kvLen, at);
    if (this.policy.decode === 'per-turn' && this.mode === 'fastv') {
      return { onQuery, slots: (layer) => this.slotsFor(layer, this.questionKvLen) };
    }
    return { onQuery };
  }

  /** Start a turn: the cache must hold exactly the retained prefix. Returns the question's first slot and position. */
  beginTurn(decodeSparsity = this.policy.decodeSparsity): { at: number; position: number } {
    checkSparsity('decode sparsity', decodeSparsity);
    this.turnSparsity = decodeSparsity;
    if (this.cache.length !== this.prefixSlots) {
      throw new Error(`beginTurn: cache holds ${this.cache.length} slots, expected the retained prefix of ${this.prefixSlots}`);
    }
    this.scoreSums = Array.from({ length: this.dims.layers }, () => null);
    this.pendingScores = [];
    this.scoreRows = Array.from({ length: this.dims.layers }, () => 0);
    this.base = Array.from({ length: this.dims.layers }, () => null);
    this.retrievalMs = 0;
    this.scoringMs = 0;
    this.turnRetainedIds = this.plan.visualIds;
    this.budget = retrievalBudget(this.plan.visualSlots.length, decodeSparsity, this.policy.retrieval.minRetrieved);
    this.timeline = null;
    this.step = -1;
    return { at: this.prefixSlots, position: this.plan.nextPosition };
  }

  /** Layer hook during the question prefill: q [T, heads*headDim] (rotated) for rows at slots [causalBase, kvLen). */
  onQuestionQuery(layer: number, q: Tensor, kvLen: number, causalBase: number): void {
    if (!this.wantsQuestionScores) return;
    const t0 = performance.now();
    const rows = q.shape[0];
    const opts = { scale: 1 / Math.sqrt(this.dims.headDim), causalBase };
    if (this.policy.decode === 'per-turn' && this.mode === 'fastv') {
      this.questionKvLen = kvLen;
      if (layer === this.policy.retrieval.fastvLayer) this.fastvSelect(layer, q, kvLen, opts);
      const dt = performance.now() - t0;
      this.retrievalMs += dt;
      this.scoringMs += dt;
      return;
    }
    const get = this.backend.kvScoresDeferred(this.cache, layer, q, this.dims.heads, kvLen, this.plan.visualSlots, opts);
    this.pendingScores.push({ layer, rows, get });
    const dt = performance.now() - t0;
    this.retrievalMs += dt;
    this.scoringMs += dt;
  }

  private addScores(layer: number, rows: number, scores: Float32Array): void {
    let sum = this.scoreSums[layer];
    if (!sum) sum = this.scoreSums[layer] = new Float64Array(scores.length);
    // kvScores averages over its rows; weight by rows so a chunked question prefill averages over all its tokens.
    for (let i = 0; i < scores.length; i++) sum[i] += scores[i] * rows;
    this.scoreRows[layer] += rows;
  }

  /** After the question prefill: choose what decode reads. `kvLen` = cache slots in use now. */
  finishQuestion(kvLen: number): void {
    if (!this.wantsQuestionScores) return;
    const t0 = performance.now();
    if (this.policy.decode === 'per-turn' && this.mode === 'fastv') {
      this.retrievalMs += performance.now() - t0;
      return;
    }
    if (this.policy.decode === 'per-turn' && (this.mode === 'per-layer' || this.mode === 'refresh') && this.selectOnDevice()) {
      this.backend.sync();
      this.retrievalMs += performance.now() - t0;
      return;
    }
    for (const p of this.pendingScores.splice(0)) this.addScores(p.layer, p.rows, p.get());
    const { layers } = this.dims;
    const layerScores: Float64Array[] = [];
    for (let l = 0; l < layers; l++) {
      const s = this.scoreSums[l];
      if (!s) throw new Error(`retrieval: layer ${l} produced no question scores (the model did not call onQuestionQuery)`);
      const rows = this.scoreRows[l];
      for (let i = 0; i < s.length; i++) s[i] /= rows;  // in place: these sums are rebuilt every turn
      this.scoreRows[l] = 1;  // now a mean: a repeated finishQuestion divides by 1
      layerScores.push(s);
    }
    if (this.policy.decode === 'per-turn') {
      this.selectFromScores(layerScores);
    } else {
      // query-prune: one selection for all layers (mean over layers), deleted for good.
      const mean = new Float64Array(this.plan.visualSlots.length);
      for (const s of layerScores) for (let i = 0; i < s.length; i++) mean[i] += s[i] / layers;
      const pos = topKAscending(mean, this.budget);
      const keepIds = Int32Array.from(pos, (p) => this.plan.visualIds[p]);
      if (this.cache.length !== kvLen) throw new Error(`finishQuestion: the cache holds ${this.cache.length} slots, expected ${kvLen}`);
      this.kv.compactPrefix(keepIds);
      let total = 0, kept = 0;
      for (let i = 0; i < mean.length; i++) total += mean[i];
      for (const p of pos) kept += mean[p];
      this.permanentMass = total > 0 ? kept / total : 1;
      this.compacted = true;
    }
    this.backend.sync();
    this.retrievalMs += performance.now() - t0;
  }

  /** Per-layer top-k on the device (Backend.kvScoresTopK) when every layer's scores are one deferred row (an unchunked
   *  question: its mean is that row exactly, so the selection equals selectRetrieved's). False: nothing was consumed. */
  private selectOnDevice(): boolean {
    const { layers } = this.dims;
    const pending = this.pendingScores;
    if (pending.length !== layers || this.scoreSums.some((s) => s)) return false;
    const byLayer = new Array<(() => Float32Array) | undefined>(layers);
    for (const p of pending) {
      if (!(p.layer >= 0 && p.layer < layers) || byLayer[p.layer]) return false;
      byLayer[p.layer] = p.get;
    }
    const cands = this.plan.visualSlots;
    const r = this.backend.kvScoresTopK(byLayer as (() => Float32Array)[], this.budget);
    if (!r) return false;
    this.pendingScores = [];
    for (let l = 0; l < layers; l++) this.setLayer(l, this.fromPositions(r.positions[l], r.total[l], r.kept[l]));
    return true;
  }

  private fromPositions(pos: Int32Array, total: number, kept: number): RetrievalSelection {
    const cands = this.plan.visualSlots, selected = new Int32Array(pos.length);
    for (let i = 0; i < pos.length; i++) selected[i] = cands[pos[i]];
    selected.sort();
    return { selected, massShare: total > 0 ? kept / total : 1 };
  }

  /** Layer `l` reads `sel` (plus every non-visual slot) from now on. */
  private setLayer(l: number, sel: RetrievalSelection): void {
    this.lastMass[l] = sel.massShare;
    this.lastSelected[l] = sel.selected;
    this.base[l] = sel.selected.length === this.plan.visualSlots.length ? null : mergeAscending(this.plan.nonVisualSlots, sel.selected);
  }

  /** Every layer's selection from the question's mean scores, by retrieval mode. */
  private selectFromScores(layerScores: Float64Array[]): void {
    const cands = this.plan.visualSlots, r = this.policy.retrieval;
    if (this.mode === 'shared') {
      // One set for all layers (the first fullLayers read everything): the layers' scores pooled (mean); each layer's
      // mass share is measured on its own scores.
      const pooled = new Float64Array(cands.length);
      for (const s of layerScores) for (let i = 0; i < s.length; i++) pooled[i] += s[i] / layerScores.length;
      const { selected } = selectTopCandidates(cands, pooled, this.budget);
      const pos = topKAscending(pooled, this.budget);
      layerScores.forEach((s, l) => {
        if (l < r.fullLayers) { this.setLayer(l, { selected: cands, massShare: 1 }); return; }
        let total = 0, kept = 0;
        for (let i = 0; i < s.length; i++) total += s[i];
        for (const p of pos) kept += s[p];
        this.setLayer(l, { selected, massShare: total > 0 ? kept / total : 1 });
      });
      return;
    }
    // A budget of every retained token (decode sparsity 0) reads everything in every mode, top-p's mass included.
    layerScores.forEach((s, l) => this.setLayer(l, this.mode === 'top-p' && this.budget < cands.length
      ? selectByMass(cands, s, r.mass, Math.min(r.minRetrieved, cands.length), this.budget)
      : selectTopCandidates(cands, s, this.budget)));
  }

  /** fastv, at its layer during the question prefill: the layers after it read only the top visual tokens by this
   *  layer's question attention, from the rest of this prefill on. */
  private fastvSelect(layer: number, q: Tensor, kvLen: number, opts: { scale: number; causalBase: number }): void {
    const cands = this.plan.visualSlots;
    const scores = this.backend.kvScores(this.cache, layer, q, this.dims.heads, kvLen, cands, opts);
    const sel = selectTopCandidates(cands, scores, this.budget);
    for (let l = 0; l < this.dims.layers; l++) this.setLayer(l, l > layer ? sel : { selected: cands, massShare: 1 });
  }

  /** Decode's hooks: the slots each layer reads, and under 'refresh' the queries that re-retrieve. */
  decodeHooks(kvLen: () => number): Qwen2Hooks {
    const slots = (layer: number) => this.slotsFor(layer, kvLen());
    if (this.policy.decode === 'per-turn' && this.mode === 'pages') return this.pageHooks();
    if (this.policy.decode !== 'per-turn' || this.mode !== 'refresh' || !this.wantsQuestionScores) return { slots };
    this.window?.dispose();
    this.window = new QueryWindow(this.backend, this.dims.layers, this.policy.retrieval.refreshEvery);
    this.timeline = [{ fromToken: 1, byLayer: this.lastSelected.map((s) => this.positionsOf(s)) }];
    return { onQuery: (layer, q, len) => this.onRefreshQuery(layer, q, len), slots };
  }

  /** refresh: every refreshEvery decode steps, each layer re-scores from the window of the recent steps' queries
   *  (the current one included) before its attention runs, so this step already reads the new set. */
  private onRefreshQuery(layer: number, q: Tensor, kvLen: number): void {
    const w = this.window!, every = this.policy.retrieval.refreshEvery;
    if (layer === 0) this.step++;
    w.push(layer, q);
    if ((this.step + 1) % every !== 0 || w.count(layer) < every) return;
    const recent = w.stacked(layer);
    const cands = this.plan.visualSlots;
    const get = this.backend.kvScoresDeferred(this.cache, layer, recent, this.dims.heads, kvLen, cands,
      { scale: 1 / Math.sqrt(this.dims.headDim), causalBase: kvLen - every });
    this.backend.dispose(recent);
    const top = this.backend.kvScoresTopK([get], this.budget);
    const sel = top ? this.fromPositions(top.positions[0], top.total[0], top.kept[0]) : selectTopCandidates(cands, get(), this.budget);
    this.setLayer(layer, sel);
    const tl = this.timeline!;
    let entry = tl[tl.length - 1];
    if (entry.fromToken !== this.step + 1) tl.push(entry = { fromToken: this.step + 1, byLayer: [...entry.byLayer] });
    entry.byLayer[layer] = this.positionsOf(sel.selected);
  }

  /** pages: every decode step, each layer reads the top pages of retained visual tokens by their logit upper bound from
   *  the step's query (Backend.kvPageSelect), plus the last partial page and every non-visual slot. The budget in
   *  pages: round(budget / pageSize), at least 1. Reads everything when that covers every full page. */
  private pageHooks(): Qwen2Hooks {
    const cands = this.plan.visualSlots, P = this.policy.retrieval.pageSize;
    const full = Math.floor(cands.length / P);
    this.topPages = Math.min(full, Math.max(1, Math.round(this.budget / P)));
    this.step = -1;
    if (this.topPages >= full) return {};
    for (let i = 1; i < cands.length; i++) {
      if (cands[i] !== cands[0] + i) throw new Error('retrieval pages: the retained visual tokens are not contiguous in the cache');
    }
    const table = this.pageTable ??= this.backend.kvPageTable(this.cache, { first: cands[0], count: cands.length, pageSize: P });
    this.backend.kvPageLog(table);  // a turn stopped early may have left entries
    const chosen: (PageSlots | undefined)[] = new Array(this.dims.layers);
    const scale = 1 / Math.sqrt(this.dims.headDim);
    return {
      onQuery: (layer, q, kvLen) => {
        if (layer === 0) this.step++;
        chosen[layer] = this.backend.kvPageSelect(table, layer, q, this.dims.heads, this.topPages, kvLen, scale);
      },
      slots: (layer) => chosen[layer],
    };
  }

  /** pages, after the answer: the timeline of every step's pages, and per layer their union as the turn's selection. */
  private pagesTimeline(): void {
    if (!this.pageTable || this.step < 0) return;
    const log = this.backend.kvPageLog(this.pageTable), P = this.policy.retrieval.pageSize, L = this.dims.layers, k = this.topPages;
    const M = this.plan.visualSlots.length, full = this.pageTable.pages;
    if (log.length !== (this.step + 1) * L * k) throw new Error(`retrieval pages: ${log.length} logged pages for ${this.step + 1} steps x ${L} layers x ${k}`);
    const tl: RetrievalChange[] = [];
    for (let s = 0; s <= this.step; s++) {
      const byLayer = Array.from({ length: L }, (_, l) => {
        const pos = new Int32Array(k * P + (M - full * P));
        let o = 0;
        for (let j = 0; j < k; j++) for (let t = 0, p = log[(s * L + l) * k + j]; t < P; t++) pos[o++] = p * P + t;
        for (let x = full * P; x < M; x++) pos[o++] = x;
        return pos;
      });
      tl.push({ fromToken: s + 1, byLayer });
    }
    this.timeline = tl;
    const cands = this.plan.visualSlots;
    for (let l = 0; l < L; l++) this.lastSelected[l] = Int32Array.from(tl[0].byLayer[l], (p) => cands[p]);
  }

  /** Positions into the retained visual slots of ascending visual slots `sel`. */
  private positionsOf(sel: Int32Array): Int32Array {
    const cands = this.plan.visualSlots, out = new Int32Array(sel.length);
    for (let i = 0, j = 0; i < sel.length; i++) {
      while (cands[j] !== sel[i]) j++;
      out[i] = j;
    }
    return out;
  }

  /** Slots layer `layer` attends to during decode with `kvLen` slots in use (undefined: all of them). */
  slotsFor(layer: number, kvLen: number): Int32Array | undefined {
    const b = this.base[layer];
    return b ? decodeSlots(b, this.prefixSlots, kvLen) : undefined;
  }

  /** What this turn's retrieval did (for stats and the inspector). */
  turnRetrieval(): TurnRetrieval {
    if (this.policy.decode === 'per-turn' && this.mode === 'pages') this.pagesTimeline();
    if (this.policy.decode === 'per-turn' && this.lastSelected.length) {
      // Slot -> visual id through a table (a Map of ~25k entries cost milliseconds per turn).
      const vs = this.plan.visualSlots, slotToId = new Int32Array(vs.length ? vs[vs.length - 1] + 1 : 0);
      for (let i = 0; i < vs.length; i++) slotToId[vs[i]] = this.plan.visualIds[i];
      return {
        retainedIds: this.turnRetainedIds,
        retrievedByLayer: this.readByLayer().map((sel) => sel.map((s) => slotToId[s])),
        massShareByLayer: this.mode === 'pages' ? null : [...this.lastMass],
        retrievalMs: this.retrievalMs,
        scoringMs: this.scoringMs,
        timeline: this.timeline && this.timeline.length > 1 ? this.timeline : null,
      };
    }
    if (this.policy.decode === 'permanent' && this.permanentMass !== null && this.turnRetainedIds !== this.plan.visualIds) {
      // The turn that pruned: every layer reads the surviving set.
      return {
        retainedIds: this.turnRetainedIds,
        retrievedByLayer: Array.from({ length: this.dims.layers }, () => this.plan.visualIds),
        massShareByLayer: Array.from({ length: this.dims.layers }, () => this.permanentMass!),
        retrievalMs: this.retrievalMs,
        scoringMs: this.scoringMs,
        timeline: null,
      };
    }
    return { retainedIds: this.turnRetainedIds, retrievedByLayer: null, massShareByLayer: null, retrievalMs: this.retrievalMs, scoringMs: this.scoringMs, timeline: null };
  }

  /** Per layer, the visual slots decode read this turn: the union over the timeline when the selection changed. */
  private readByLayer(): Int32Array[] {
    const tl = this.timeline;
    if (!tl || tl.length < 2) return this.lastSelected;
    const cands = this.plan.visualSlots;
    return this.lastSelected.map((_, l) => {
      const seen = new Uint8Array(cands.length);
      for (const e of tl) for (const p of e.byLayer[l]) seen[p] = 1;
      return cands.filter((_, i) => seen[i] === 1);
    });
  }

  /** Turn end: the turn's selection is forgotten (the session has evicted the turn's KV; the prefix stays). */
  endTurn(): void {
    this.base = Array.from({ length: this.dims.layers }, () => null);
    this.lastSelected = [];
    this.lastMass = [];
    this.window?.dispose();
    this.window = null;
    this.step = -1;
  }

  /** Frees what the controller holds on the backend (the session is closing). */
  dispose(): void {
    this.endTurn();
    if (this.pageTable) this.backend.disposePageTable(this.pageTable);
    this.pageTable = null;
  }
}
