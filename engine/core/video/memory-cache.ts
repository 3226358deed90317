// Prepared videos (float pixel values) kept in this process, so a second conversation or a re-ask on the same video
// and sampling skips reading and normalizing the frames again. Least recently used first out once the total exceeds
// the byte bound; a value larger than the bound is not kept. Keys name a file version (see sampledVideoKey), and
// putting a new version of a file drops the old one, so a changed file is never served.

export class MemoryCache<V> {
  private items = new Map<string, { value: V; bytes: number; file: string; version: string }>();
  private total = 0;

  constructor(public maxBytes: number) {}

  get bytes(): number {
    return this.total;
  }

  get(key: string): V | undefined {
    const item = this.items.get(key);
    if (!item) return undefined;
    this.items.delete(key); // Map order is recency order: most recent last
    this.items.set(key, item);
    return item.value;
  }

  /** Keeps `value` under `key`; values made from another version of the same file are dropped. */
  set(key: string, value: V, bytes: number, source: { file: string; version: string }): void {
    for (const [k, item] of this.items) if (k === key || (item.file === source.file && item.version !== source.version)) this.remove(k);
    if (bytes > this.maxBytes) return;
    this.items.set(key, { value, bytes, ...source });
    this.total += bytes;
    for (const k of this.items.keys()) {
      if (this.total <= this.maxBytes) break;
      this.remove(k);
    }
  }

  clear(): void {
    this.items.clear();
    this.total = 0;
  }

  private remove(key: string): void {
    const item = this.items.get(key);
    if (!item) return;
    this.items.delete(key);
    this.total -= item.bytes;
  }
}
