// Records the inputs of chosen linear layers while the model runs as usual: a backend whose `linear` first copies x
// (a sample of its rows) for the watched weights, named through the weight source the model is loaded from. Its
// composite ops are the primitive ones (layer-ops.ts) over this backend, so every linear, fused or not on the inner
// backend, goes through `linear`.
import type { Backend, HostTensorData, Tensor } from '../backend/backend.ts';
import { PrimitiveLayerOps } from '../backend/layer-ops.ts';
import type { WeightSource } from '../checkpoint/weights.ts';
import { Rng } from '../synthetic/prng.ts';
import type { Activations } from './matmul.ts';

/** A uniform sample of at most `cap` rows from a stream of row blocks (reservoir sampling, seeded). */
export class RowSampler {
  private data: Float32Array;
  private kept = 0;
  private seen = 0;
  private rng: Rng;

  constructor(readonly width: number, readonly cap: number, seed = 1) {
    this.data = new Float32Array(width * cap);
    this.rng = new Rng(seed);
  }

  add(x: Float32Array, rows: number): void {
    const w = this.width;
    if (x.length !== rows * w) throw new Error(`RowSampler: ${rows} rows of ${w} need ${rows * w} values, got ${x.length}`);
    for (let r = 0; r < rows; r++, this.seen++) {
      let slot = this.kept;
      if (this.kept < this.cap) this.kept++;
      else {
        slot = Math.floor(this.rng.next() * (this.seen + 1));
        if (slot >= this.cap) continue;
      }
      this.data.set(x.subarray(r * w, (r + 1) * w), slot * w);
    }
  }

  get rowsSeen(): number {
    return this.seen;
  }

  result(): Activations {
    return { data: this.data.slice(0, this.kept * this.width), rows: this.kept, in: this.width };
  }
}

export interface LinearRecorder {
  backend: Backend;
  /** The source to load the model from (it names the weights the backend uploads). */
  source(src: WeightSource): WeightSource;
}

/** `watch`: weight name (canonical) -> key; `onInput(key, x, rows)` gets a host copy of each watched linear's input. */
export function recordLinearInputs(inner: Backend, watch: ReadonlyMap<string, string>,
  onInput: (key: string, x: Float32Array, rows: number) => void): LinearRecorder {
  const names = new WeakMap<Tensor, string>();
  let fetched: string | null = null;
  let ops: PrimitiveLayerOps;
  const backend: Backend = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'layerOps') return ops;
      if (prop === 'weight') {
        return (data: HostTensorData) => {
          const t = target.weight(data);
          if (fetched) names.set(t, fetched);
          fetched = null;
          return t;
        };
      }
      if (prop === 'linear') {
        return (x: Tensor, w: Tensor, b?: Tensor) => {
          const name = names.get(w);
          const key = name === undefined ? undefined : watch.get(name);
          if (key !== undefined) onInput(key, target.toHost(x), x.shape[0]);
          return target.linear(x, w, b);
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  ops = new PrimitiveLayerOps(backend);
  return {
    backend,
    source: (src) => ({
      has: (n) => src.has(n),
      get: (n, shape) => {
        const d = src.get(n, shape);
        fetched = n;
        return d;
      },
      close: () => src.close(),
    }),
  };
}
