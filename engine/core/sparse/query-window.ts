// The last N decode steps' queries of every layer (copies on the backend), for re-retrieval during the answer
// (retrieval 'refresh'): the window is scored against the whole cache like a question.
import type { Backend, Tensor } from '../backend/backend.ts';

export class QueryWindow {
  private readonly rows: Tensor[][];

  constructor(private readonly be: Backend, layers: number, readonly size: number) {
    if (!(Number.isInteger(size) && size >= 1)) throw new Error(`query window size must be a positive integer, got ${size}`);
    this.rows = Array.from({ length: layers }, () => []);
  }

  /** Keeps a copy of this step's query row(s) of `layer`; the oldest falls out past `size` rows. */
  push(layer: number, q: Tensor): void {
    const r = this.rows[layer];
    r.push(this.be.concatRows([q]));
    while (r.length > this.size) this.be.dispose(r.shift()!);
  }

  /** Rows held for `layer`. */
  count(layer: number): number {
    return this.rows[layer].length;
  }

  /** The held rows of `layer`, oldest first, as one new tensor [count, H*d] (the caller disposes it). */
  stacked(layer: number): Tensor {
    const r = this.rows[layer];
    if (!r.length) throw new Error(`query window: layer ${layer} holds no queries`);
    return this.be.concatRows(r);
  }

  dispose(): void {
    for (const r of this.rows) for (const t of r.splice(0)) this.be.dispose(t);
  }
}
