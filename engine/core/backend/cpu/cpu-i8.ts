// int8 linear weights on the CPU backend (W8A8, Backend.weightI8): the codes (transposed to [K, N]) and scales stay in
// JS memory and are fed, without a copy, to one onnxruntime graph shared by every int8 weight, which quantizes the
// activation per row on every call: s = max(ReduceMax(|x|, row), MIN_ABS_MAX) / 127, codes round-half-even(x / s).
// One shared graph rather than one per weight with the codes as initializers: onnxruntime would prepack those, but
// each session kept its own thread pool and its large intermediates (measured: ~1.4 GB more per frame of 729 patches
// at the so400m tower's 156 linears, and ~11 s of session builds), while repacking B per call is small next to a GEMM
// of hundreds of rows.
// onnxruntime's x86 int8 GEMMs (MLAS) are fast for uint8 x int8 and several times slower than f32 for int8 x int8
// (measured: scripts/vision8-measure.ts, BENCHMARKS.md), so the symmetric int8 codes go in shifted by 128 as uint8 with
// zero point 128 (the same integers):
//   'integer':          y = Cast<float>(MatMulInteger(qx + 128, qwᵀ, 128)) · s · s_w + b   (standard ONNX, default)
//   'integer-to-float': y = MatMulIntegerToFloat(qx + 128, qwᵀ, 1, s_w, zp 128) · s + b   (com.microsoft)
//   's8':               'integer' with int8 codes (no shift): the slow int8 x int8 GEMM, kept to be measured
// All three are int8.ts's linearI8Reference up to float rounding; 'integer' and 'integer-to-float' ran within a few
// percent of each other, 'integer' slightly ahead on a quiet machine (BENCHMARKS.md). 'per-tensor' (com.microsoft DynamicQuantizeMatMul:
// one uint8 scale and zero point for the whole x) is not per-token quantization; it is there to be measured against.
import type { I8Weight, Tensor } from '../backend.ts';
import { checkI8Weight, MIN_ABS_MAX } from '../../quantize/int8.ts';
import { ElemType, type GraphSpec, type NodeSpec } from './onnx-proto.ts';
import { ortTensor } from './ort-graphs.ts';

export type I8Kernel = 'integer' | 'integer-to-float' | 's8' | 'per-tensor';
export const I8_KERNELS: readonly I8Kernel[] = ['integer', 'integer-to-float', 's8', 'per-tensor'];
export const DEFAULT_I8_KERNEL: I8Kernel = 'integer';

/** QuantizeLinear's output_dtype attribute needs opset 21. */
export const I8_OPSET = 21;

/** An int8 weight: codes transposed to [K, N] and per-output scales, as ORT tensors over the same memory. */
export class CpuI8Tensor implements Tensor {
  readonly dtype = 'i8' as const;
  readonly shape: readonly number[];
  readonly feeds: { wq: unknown; ws: unknown };
  constructor(w: I8Weight) {
    checkI8Weight(w);
    const { out: N, in: K } = w;
    this.shape = [N, K];
    const t = new Int8Array(K * N);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) t[k * N + n] = w.q[n * K + k];
    this.feeds = { wq: ortTensor(t, [K, N]), ws: ortTensor(w.scales.slice(), [N]) };
  }
}

/** The graph every int8 weight runs through: inputs x [M, K], wq int8 [K, N], ws [N] and (with `bias`) b [N]. */
export function i8LinearGraph(bias: boolean, kernel: I8Kernel = DEFAULT_I8_KERNEL): GraphSpec {
  const inits: GraphSpec['initializers'] = [];
  const out = (last: string): NodeSpec[] => (bias ? [{ op: 'Add', inputs: [last, 'b'], outputs: ['y'] }] : [{ op: 'Identity', inputs: [last], outputs: ['y'] }]);
  let nodes: NodeSpec[];
  if (kernel === 'per-tensor') {
    nodes = [{ op: 'DynamicQuantizeMatMul', domain: 'com.microsoft', inputs: ['x', 'wq', 'ws'], outputs: ['mm'] }, ...out('mm')];
  } else {
    inits.push(
      { name: 'floor', type: 'float', dims: [], values: [MIN_ABS_MAX] },
      { name: 'i127', type: 'float', dims: [], values: [127] },
      { name: 'axes', type: 'int64', dims: [1], values: [1] },
      { name: 'flat', type: 'int64', dims: [1], values: [-1] },
    );
    const s8 = kernel === 's8';
    if (!s8) inits.push({ name: 'zp', type: 'uint8', dims: [], values: [128] });
    nodes = [
      { op: 'Abs', inputs: ['x'], outputs: ['ax'] },
      { op: 'ReduceMax', inputs: ['ax', 'axes'], outputs: ['am'], attrs: { keepdims: 1 } },
      { op: 'Max', inputs: ['am', 'floor'], outputs: ['am1'] },
      { op: 'Div', inputs: ['am1', 'i127'], outputs: ['s'] },
      { op: 'Reshape', inputs: ['s', 'flat'], outputs: ['s1'] },
      ...(s8 ? [{ op: 'QuantizeLinear', inputs: ['x', 's1'], outputs: ['xq'], attrs: { axis: 0, output_dtype: ElemType.int8 } }] : [
        // QuantizeLinear's zero point has the scale's shape [M].
        { op: 'Shape', inputs: ['s1'], outputs: ['m'] },
        { op: 'Expand', inputs: ['zp', 'm'], outputs: ['zpm'] },
        { op: 'QuantizeLinear', inputs: ['x', 's1', 'zpm'], outputs: ['xq'], attrs: { axis: 0, output_dtype: ElemType.uint8 } },
      ]),
    ];
    if (kernel !== 'integer-to-float') {
      nodes.push(
        { op: 'MatMulInteger', inputs: s8 ? ['xq', 'wq'] : ['xq', 'wq', 'zp'], outputs: ['acc'] },
        { op: 'Cast', inputs: ['acc'], outputs: ['accf'], attrs: { to: 1 } },
        { op: 'Mul', inputs: ['accf', 's'], outputs: ['y1'] },
        { op: 'Mul', inputs: ['y1', 'ws'], outputs: ['y2'] },
        ...out('y2'),
      );
    } else {
      inits.push({ name: 'one', type: 'float', dims: [], values: [1] });
      nodes.push(
        { op: 'MatMulIntegerToFloat', domain: 'com.microsoft', inputs: ['xq', 'wq', 'one', 'ws', 'zp'], outputs: ['y1'] },
        { op: 'Mul', inputs: ['y1', 's'], outputs: ['y2'] },
        ...out('y2'),
      );
    }
  }
  return {
    nodes, initializers: inits,
    inputs: [
      { name: 'x', type: 'float', dims: ['M', 'K'] }, { name: 'wq', type: 'int8', dims: ['K', 'N'] }, { name: 'ws', type: 'float', dims: ['N'] },
      ...(bias ? [{ name: 'b', type: 'float' as const, dims: ['N'] }] : []),
    ],
    outputs: [{ name: 'y', type: 'float', dims: ['M', 'N'] }],
    opsets: [{ domain: 'com.microsoft', version: 1 }],
  };
}
