// The retained prefix of a session's KV cache: where every prefix token sits (read-only to everyone else) and the
// changes made to it, each an explicit method: evicting a turn, and query-prune's permanent compaction.
import type { Backend, KvCache } from '../backend/backend.ts';
import { compactPlan, type PrefixPlan } from './layout.ts';

/** What a policy sees of the session's KV cache, and the one change it may ask for. */
export interface PolicyKv {
  readonly cache: KvCache;
  /** The retained prefix as it sits in the cache now. */
  readonly layout: Readonly<PrefixPlan>;
  /** Keep only these visual ids (a subset of layout.visualIds) in the prefix for good; the slots after the prefix (this
   *  turn's question) move down with it. */
  compactPrefix(keepVisualIds: Int32Array): void;
}

export class PrefixKv implements PolicyKv {
  private plan: PrefixPlan;

  constructor(private readonly backend: Backend, readonly cache: KvCache, layout: PrefixPlan) {
    if (cache.length !== layout.rows.length) {
      throw new Error(`the cache holds ${cache.length} slots, the prefix layout ${layout.rows.length}`);
    }
    this.plan = layout;
  }

  get layout(): Readonly<PrefixPlan> {
    return this.plan;
  }

  /** Cache slots of the retained prefix. */
  get prefixSlots(): number {
    return this.plan.rows.length;
  }

  compactPrefix(keepVisualIds: Int32Array): void {
    const kvLen = this.cache.length, prefixSlots = this.prefixSlots;
    const { plan, keepSlots } = compactPlan(this.plan, keepVisualIds);
    const keep = new Int32Array(keepSlots.length + (kvLen - prefixSlots));
    keep.set(keepSlots);
    for (let s = prefixSlots, o = keepSlots.length; s < kvLen; s++, o++) keep[o] = s;
    this.backend.kvCompact(this.cache, keep);
    this.plan = plan;
  }

  /** Drops every slot after the prefix (a turn's question and answer); the prefix stays. */
  evictTurn(): void {
    this.cache.length = this.prefixSlots;
  }
}
