// mulberry32, bit for bit as scripts/synthetic-world/world.py's Rng: the eval's videos and the training data come
// from the same scenes only if both languages draw the same numbers in the same order.

export class Rng {
  private state: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`seed must be an integer in [0, 2^32), got ${seed}`);
    this.state = (Math.imul(seed >>> 0, 0x9e3779b1) + 0x7f4a7c15) >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1) >>> 0;
    t = (((t + Math.imul(t ^ (t >>> 7), t | 61)) >>> 0) ^ t) >>> 0;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  randint(n: number): number {
    return Math.floor(this.next() * n);
  }

  shuffled<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.randint(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}
