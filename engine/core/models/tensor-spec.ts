// A model's tensors declared once: names (canonical HF names, see checkpoint/weights.ts), shapes and the init of
// random weights, as a record shaped like the module (layers, projections). The model loads that record
// (loadTensors gives the same shape with tensors); the checkpoint layout, random checkpoints and synthetic weights
// list it (specList).
import type { Backend, Tensor } from '../backend/backend.ts';
import type { LinearModule, WeightSource } from '../checkpoint/weights.ts';

export type InitKind = 'normal' | 'ones' | 'zeros' | 'small';

export interface TensorSpec {
  name: string;
  /** Shape in the file. */
  shape: number[];
  init: InitKind;
  /** Shape the model uses when it differs (same values, e.g. a conv kernel used as a matrix). */
  as?: number[];
  /** A linear layer's weight [out, in] (see LinearModule). */
  linear?: LinearModule;
}

export type SpecTree = TensorSpec | undefined | readonly SpecTree[] | { readonly [key: string]: SpecTree };

/** A SpecTree with every spec replaced by its loaded tensor. */
export type Loaded<S> = S extends TensorSpec ? Tensor : S extends undefined ? undefined : { -readonly [K in keyof S]: Loaded<S[K]> };

export function tensor(name: string, shape: number[], init: InitKind, as?: number[]): TensorSpec {
  return as ? { name, shape, init, as } : { name, shape, init };
}

/** A linear layer's weight [out, in] and optional bias [out] (HF `<prefix>.weight` / `<prefix>.bias`). */
export function linearSpec<B extends boolean>(prefix: string, out: number, inp: number, bias: B, awq: LinearModule['awq'] = 'optional'):
  { w: TensorSpec; b: B extends true ? TensorSpec : B extends false ? undefined : TensorSpec | undefined } {
  const b = bias ? tensor(`${prefix}.bias`, [out], 'small') : undefined;
  return { w: { ...tensor(`${prefix}.weight`, [out, inp], 'normal'), linear: { module: prefix, awq } }, b: b as never };
}

function isSpec(s: SpecTree): s is TensorSpec {
  return !!s && !Array.isArray(s) && typeof (s as TensorSpec).name === 'string' && Array.isArray((s as TensorSpec).shape);
}

/** Every spec of the tree, in declaration order. */
export function specList(tree: SpecTree): TensorSpec[] {
  if (!tree) return [];
  if (isSpec(tree)) return [tree];
  return (Array.isArray(tree) ? tree : Object.values(tree)).flatMap((s: SpecTree) => specList(s));
}

/** Uploads every tensor of the tree (in declaration order), checking each file shape against its spec. */
export function loadTensors<S extends SpecTree>(be: Backend, src: WeightSource, tree: S): Loaded<S> {
  const load = (s: SpecTree): unknown => {
    if (!s) return undefined;
    if (isSpec(s)) {
      const q4 = s.linear && src.linearQ4 ? src.linearQ4(s.linear, s.shape) : null;
      if (q4) return be.weightQ4(q4);
      const data = src.get(s.name, s.shape);
      return be.weight(s.as ? { ...data, shape: [...s.as] } : data);
    }
    if (Array.isArray(s)) return s.map(load);
    return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, load(v)]));
  };
  return load(tree) as Loaded<S>;
}
