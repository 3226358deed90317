// The KV side of a SparseVILA conversation: which cache slots each layer reads, per turn.
//
// Life of a turn (the model code calls these through its layer hooks):
//   beginTurn()                      -> where the turn's question goes (slot right after the retained prefix, and the
//                                       position right after the dense prefix: evicted positions are reused)
//   onQuestionQuery(layer, q, ...)   -> during the question prefill, after the layer wrote its K/V: score retained
//                                       visual slots by the question's attention (Backend.kvScores)
//   finishQuestion()                 -> per layer top-k (sparsevila), or permanent compaction at turn 1 (query-prune)
//   slotsFor(layer, kvLen)           -> the slots decode attends to (undefined = all)
//   endTurn()                        -> forget the turn's selection (the session evicts the turn's KV)
// The session owns the cache and its layout; the controller reads them through PolicyKv and asks for the one change a
// policy makes to the prefix (query-prune's compaction) through PolicyKv.compactPrefix.
import type { Backend, KvCache, Tensor } from '../backend/backend.ts';
import { decodeSlots, mergeAscending, type PrefixPlan } from './layout.ts';
import type { PolicyKv } from './prefix-kv.ts';
import type { PolicyPlan } from './policy.ts';
import { checkSparsity, keepCount, selectRetrieved, topKAscending } from './select.ts';

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

  constructor(
    private readonly backend: Backend,
    private readonly kv: PolicyKv,
    private readonly policy: PolicyPlan,
    private readonly dims: LlmDims,
  ) {}

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
    if (this.policy.decode === 'per-turn') return true;
    return this.policy.decode === 'permanent' && !this.compacted;
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
    return { at: this.prefixSlots, position: this.plan.nextPosition };
  }

  /** Layer hook during the question prefill: q [T, heads*headDim] (rotated) for rows at slots [causalBase, kvLen). */
  onQuestionQuery(layer: number, q: Tensor, kvLen: number, causalBase: number): void {
    if (!this.wantsQuestionScores) return;
    const t0 = performance.now();
    const rows = q.shape[0];
    const opts = { scale: 1 / Math.sqrt(this.dims.headDim), causalBase };
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
    if (this.policy.decode === 'per-turn' && this.selectOnDevice()) {
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
      for (let l = 0; l < layers; l++) {
        const sel = selectRetrieved(this.plan.visualSlots, layerScores[l], this.turnSparsity);
        this.lastMass[l] = sel.massShare;
        this.lastSelected[l] = sel.selected;
        this.base[l] = sel.selected.length === this.plan.visualSlots.length ? null : mergeAscending(this.plan.nonVisualSlots, sel.selected);
      }
    } else {
      // query-prune: one selection for all layers (mean over layers), deleted for good.
      const mean = new Float64Array(this.plan.visualSlots.length);
      for (const s of layerScores) for (let i = 0; i < s.length; i++) mean[i] += s[i] / layers;
      const k = keepCount(mean.length, this.turnSparsity);
      const pos = topKAscending(mean, k);
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
    const k = keepCount(cands.length, this.turnSparsity);
    const r = this.backend.kvScoresTopK(byLayer as (() => Float32Array)[], k);
    if (!r) return false;
    this.pendingScores = [];
    for (let l = 0; l < layers; l++) {
      const pos = r.positions[l];
      const selected = new Int32Array(pos.length);
      for (let i = 0; i < pos.length; i++) selected[i] = cands[pos[i]];
      selected.sort();
      this.lastMass[l] = r.total[l] > 0 ? r.kept[l] / r.total[l] : 1;
      this.lastSelected[l] = selected;
      this.base[l] = selected.length === cands.length ? null : mergeAscending(this.plan.nonVisualSlots, selected);
    }
    return true;
  }

  /** Slots layer `layer` attends to during decode with `kvLen` slots in use (undefined: all of them). */
  slotsFor(layer: number, kvLen: number): Int32Array | undefined {
    const b = this.base[layer];
    return b ? decodeSlots(b, this.prefixSlots, kvLen) : undefined;
  }

  /** What this turn's retrieval did (for stats and the inspector). */
  turnRetrieval(): TurnRetrieval {
    if (this.policy.decode === 'per-turn' && this.lastSelected.length) {
      // Slot -> visual id through a table (a Map of ~25k entries cost milliseconds per turn).
      const vs = this.plan.visualSlots, slotToId = new Int32Array(vs.length ? vs[vs.length - 1] + 1 : 0);
      for (let i = 0; i < vs.length; i++) slotToId[vs[i]] = this.plan.visualIds[i];
      return {
        retainedIds: this.turnRetainedIds,
        retrievedByLayer: this.lastSelected.map((sel) => sel.map((s) => slotToId[s])),
        massShareByLayer: [...this.lastMass],
        retrievalMs: this.retrievalMs,
        scoringMs: this.scoringMs,
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
      };
    }
    return { retainedIds: this.turnRetainedIds, retrievedByLayer: null, massShareByLayer: null, retrievalMs: this.retrievalMs, scoringMs: this.scoringMs };
  }

  /** Turn end: the turn's selection is forgotten (the session has evicted the turn's KV; the prefix stays). */
  endTurn(): void {
    this.base = Array.from({ length: this.dims.layers }, () => null);
    this.lastSelected = [];
    this.lastMass = [];
  }
}
