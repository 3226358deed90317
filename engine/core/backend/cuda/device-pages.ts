// Decode retrieval 'pages' on the GPU (Backend.kvPageTable / kvPageSelect / kvPageLog): page key bounds computed once,
// then per decode step and layer kernels/src/gpu_pages.cu scores the pages from the query, picks the top ones and
// writes the slot list that kvAttention reads through attentionDev, with no round trip to the host. The chosen pages
// go to a device log that kvPageLog downloads after the answer (for the inspector).
import type { PageSlots, PageTable, PageTableSpec } from '../backend.ts';
import { DT, type KernelsAddon } from './addon.ts';
import type { CudaKvCache } from './cuda-tensor.ts';

/** The slot list of the last kvPageSelect on a table (one device buffer per table, rewritten by every select). */
export class CudaPageSlots implements PageSlots {
  count = 0;
  constructor(readonly table: CudaPageTable, readonly ptr: number) {}
}

export class CudaPageTable implements PageTable {
  readonly pages: number;
  private bounds = 0;
  private slotsPtr = 0;
  readonly slots: CudaPageSlots;
  /** Device log of chosen pages (int32), flushed to `host` when full and by log(). */
  private logPtr = 0;
  private logCap = 0;
  private logUsed = 0;
  private host: Int32Array[] = [];
  private disposed = false;

  constructor(private readonly a: KernelsAddon, readonly cache: CudaKvCache, readonly spec: Readonly<PageTableSpec>) {
    const { first, count, pageSize } = spec;
    if (!(Number.isInteger(pageSize) && pageSize >= 1 && Number.isInteger(first) && first >= 0 && Number.isInteger(count) && count >= 0
      && first + count <= cache.length)) {
      throw new Error(`kvPageTable: run [${first}, ${first + count}) in pages of ${pageSize} does not fit the cache's ${cache.length} slots`);
    }
    this.pages = Math.floor(count / pageSize);
    const row = cache.row, layerBytes = this.pages * 2 * row * 4;
    try {
      this.bounds = a.alloc(Math.max(4, cache.layers * layerBytes));
      this.slotsPtr = a.alloc(cache.capacity * 4);
      for (let l = 0; l < cache.layers; l++) {
        a.pageBounds(this.bounds + l * layerBytes, cache.k + cache.layerOffset(l), DT[cache.dtype], row, first, this.pages, pageSize, row);
      }
    } catch (e) {
      this.dispose();
      throw e;
    }
    this.slots = new CudaPageSlots(this, this.slotsPtr);
  }

  /** Queues the selection for one decode row q (f32 [heads*d] at qPtr). */
  select(layer: number, qPtr: number, heads: number, topPages: number, kvLen: number, scale: number): CudaPageSlots {
    if (this.disposed) throw new Error('kvPageSelect: the page table is disposed');
    const c = this.cache;
    if (!(Number.isInteger(topPages) && topPages >= 1 && topPages <= this.pages)) throw new Error(`kvPageSelect: topPages ${topPages} outside [1, ${this.pages}]`);
    const tail = this.spec.first + this.pages * this.spec.pageSize;
    if (!(kvLen >= tail && kvLen <= c.capacity)) throw new Error(`kvPageSelect: kvLen ${kvLen} outside [${tail}, ${c.capacity}]`);
    if (!(layer >= 0 && layer < c.layers)) throw new Error(`kvPageSelect: layer ${layer} outside [0, ${c.layers})`);
    const logAt = this.reserveLog(topPages);
    const layerBytes = this.pages * 2 * c.row * 4;
    this.a.pageSelect(this.slotsPtr, logAt, qPtr, this.bounds + layer * layerBytes, this.pages, heads, c.kvHeads, c.headDim,
      scale, topPages, this.spec.first, this.spec.pageSize, kvLen);
    this.slots.count = this.spec.first + topPages * this.spec.pageSize + (kvLen - tail);
    return this.slots;
  }

  /** Device address for `n` more log entries (flushing the log to the host when it is full). */
  private reserveLog(n: number): number {
    if (this.logUsed + n > this.logCap) {
      this.flush();
      if (n > this.logCap) {
        if (this.logPtr) this.a.free(this.logPtr);
        this.logCap = Math.max(n, this.cache.layers * 256 * n);
        this.logPtr = this.a.alloc(this.logCap * 4);
      }
    }
    const at = this.logPtr + this.logUsed * 4;
    this.logUsed += n;
    return at;
  }

  private flush(): void {
    if (!this.logUsed) return;
    const part = new Int32Array(this.logUsed);
    this.a.download(this.logPtr, part);
    this.host.push(part);
    this.logUsed = 0;
  }

  log(): Int32Array {
    this.flush();
    const out = new Int32Array(this.host.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of this.host.splice(0)) { out.set(p, o); o += p.length; }
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of [this.bounds, this.slotsPtr, this.logPtr]) if (p) this.a.free(p);
  }
}
