// Small ONNX graphs for the dense compute, run synchronously through onnxruntime-node's native binding.
// onnxruntime-node's public InferenceSession.run is async only (it defers the synchronous native call with
// setImmediate); the engine's op interface is synchronous, so we call the native session directly.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { encodeModel, type GraphSpec, type NodeSpec } from './onnx-proto.ts';

const require = createRequire(import.meta.url);

interface NativeSession {
  loadModel(buf: ArrayBufferLike, off: number, len: number, opts: Record<string, unknown>): void;
  run(feeds: Record<string, unknown>, fetches: Record<string, null>, opts: Record<string, unknown>): Record<string, { data: Float32Array; dims: number[] }>;
}

interface OrtTensorCtor {
  new (type: 'float32' | 'int64' | 'int8', data: Float32Array | BigInt64Array | Int8Array, dims: readonly number[]): unknown;
}

let native: { binding: { InferenceSession: new () => NativeSession }; Tensor: OrtTensorCtor } | null = null;

function ort(): NonNullable<typeof native> {
  if (!native) {
    const b = require('onnxruntime-node/dist/binding.js');
    b.initOrt();
    const common = require('onnxruntime-common');
    native = { binding: b.binding, Tensor: common.Tensor };
  }
  return native;
}

export function ortTensor(data: Float32Array | Int8Array, dims: readonly number[]): unknown {
  return data instanceof Int8Array ? new (ort().Tensor)('int8', data, dims) : new (ort().Tensor)('float32', data, dims);
}

export class OrtGraph {
  private session: NativeSession;
  constructor(spec: GraphSpec, threads: number, opset = 17) {
    const bytes = encodeModel(spec, opset);
    this.session = new (ort().binding.InferenceSession)();
    this.session.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      executionProviders: [{ name: 'cpu' }],
      // Spinning worker threads cut per-op latency on an idle machine but starve everything on a busy one (measured
      // 3-4x slower decode under load); a desktop app shares the CPU, so spinning is opt-in (SPARSEVILA_ORT_SPIN=1).
      ...(process.env.SPARSEVILA_ORT_SPIN === '1' ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
    });
  }
  /** Feeds are ORT tensors (see ortTensor); returns the named output's data and dims. */
  run(feeds: Record<string, unknown>, output = 'y'): { data: Float32Array; dims: number[] } {
    const r = this.session.run(feeds, { [output]: null }, {});
    return r[output];
  }
}

export class GraphCache {
  private graphs = new Map<string, OrtGraph>();
  readonly threads: number;
  constructor(threads?: number) {
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
      throw new Error(`CPU thread count must be a whole number of at least 1, got ${threads}`);
    }
    this.threads = threads ?? Math.max(1, availableParallelism());
  }
  get(key: string, build: () => GraphSpec, opset = 17): OrtGraph {
    let g = this.graphs.get(key);
    if (!g) {
      g = new OrtGraph(build(), this.threads, opset);
      this.graphs.set(key, g);
    }
    return g;
  }
}

const f = (name: string, dims: (number | string)[]) => ({ name, type: 'float' as const, dims });

export function linearGraph(bias: boolean): GraphSpec {
  return {
    nodes: [{ op: 'Gemm', inputs: bias ? ['x', 'w', 'b'] : ['x', 'w'], outputs: ['y'], attrs: { transB: 1 } }],
    inputs: [f('x', ['M', 'K']), f('w', ['N', 'K']), ...(bias ? [f('b', ['N'])] : [])],
    outputs: [f('y', ['M', 'N'])],
  };
}

export function geluGraph(kind: 'tanh' | 'erf'): GraphSpec {
  return {
    nodes: [{ op: 'Gelu', inputs: ['x'], outputs: ['y'], attrs: { approximate: kind === 'tanh' ? 'tanh' : 'none' } }],
    inputs: [f('x', ['M', 'N'])],
    outputs: [f('y', ['M', 'N'])],
  };
}

export function siluMulGraph(): GraphSpec {
  return {
    nodes: [
      { op: 'Sigmoid', inputs: ['g'], outputs: ['s'] },
      { op: 'Mul', inputs: ['g', 's'], outputs: ['gs'] },
      { op: 'Mul', inputs: ['gs', 'u'], outputs: ['y'] },
    ],
    inputs: [f('g', ['M', 'N']), f('u', ['M', 'N'])],
    outputs: [f('y', ['M', 'N'])],
  };
}

export function layerNormGraph(eps: number): GraphSpec {
  return {
    nodes: [{ op: 'LayerNormalization', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { axis: -1, epsilon: { float: eps } } }],
    inputs: [f('x', ['M', 'N']), f('w', ['N']), f('b', ['N'])],
    outputs: [f('y', ['M', 'N'])],
  };
}

/** Shared front half of attention: probabilities P [Hkv, g, Tq, Tk] = softmax(q·kᵀ·scale + mask). */
function attentionProbs(heads: number, kvHeads: number, d: number, scale: number, masked: boolean) {
  const g = heads / kvHeads;
  const nodes: NodeSpec[] = [
    { op: 'Reshape', inputs: ['q', 'qshape'], outputs: ['q4'] },
    { op: 'Transpose', inputs: ['q4'], outputs: ['qt'], attrs: { perm: [1, 2, 0, 3] } },
    { op: 'Reshape', inputs: ['k', 'kvshape'], outputs: ['k4'] },
    { op: 'Transpose', inputs: ['k4'], outputs: ['kt'], attrs: { perm: [1, 2, 3, 0] } },
    { op: 'MatMul', inputs: ['qt', 'kt'], outputs: ['s0'] },
    { op: 'Mul', inputs: ['s0', 'scale'], outputs: [masked ? 's1' : 's2'] },
    ...(masked ? [{ op: 'Add', inputs: ['s1', 'mask'], outputs: ['s2'] }] : []),
    { op: 'Softmax', inputs: ['s2'], outputs: ['p'], attrs: { axis: -1 } },
  ];
  const initializers = [
    { name: 'qshape', type: 'int64' as const, dims: [4], values: [-1, kvHeads, g, d] },
    { name: 'kvshape', type: 'int64' as const, dims: [4], values: [-1, kvHeads, 1, d] },
    { name: 'scale', type: 'float' as const, dims: [], values: [scale] },
  ];
  const inputs = [f('q', ['Tq', heads * d]), f('k', ['Tk', kvHeads * d]), ...(masked ? [f('mask', ['Tq', 'Tk'])] : [])];
  return { nodes, initializers, inputs };
}

export function attentionGraph(heads: number, kvHeads: number, d: number, scale: number, masked: boolean): GraphSpec {
  const p = attentionProbs(heads, kvHeads, d, scale, masked);
  return {
    nodes: [
      ...p.nodes,
      { op: 'Reshape', inputs: ['v', 'kvshape'], outputs: ['v4'] },
      { op: 'Transpose', inputs: ['v4'], outputs: ['vt'], attrs: { perm: [1, 2, 0, 3] } },
      { op: 'MatMul', inputs: ['p', 'vt'], outputs: ['o'] },
      { op: 'Transpose', inputs: ['o'], outputs: ['ot'], attrs: { perm: [2, 0, 1, 3] } },
      { op: 'Reshape', inputs: ['ot', 'oshape'], outputs: ['y'] },
    ],
    initializers: [...p.initializers, { name: 'oshape', type: 'int64', dims: [2], values: [-1, heads * d] }],
    inputs: [...p.inputs, f('v', ['Tk', kvHeads * d])],
    outputs: [f('y', ['Tq', heads * d])],
  };
}

/** Column sums of the attention probabilities over heads and query rows -> [Tk]. */
export function attentionColSumGraph(heads: number, kvHeads: number, d: number, scale: number, masked: boolean): GraphSpec {
  const p = attentionProbs(heads, kvHeads, d, scale, masked);
  return {
    nodes: [...p.nodes, { op: 'ReduceSum', inputs: ['p', 'axes'], outputs: ['y'], attrs: { keepdims: 0 } }],
    initializers: [...p.initializers, { name: 'axes', type: 'int64', dims: [3], values: [0, 1, 2] }],
    inputs: p.inputs,
    outputs: [f('y', ['Tk'])],
  };
}
