// The op interface every model file is written against (ggml-style): the CPU backend (onnxruntime-node + JS)
// and the CUDA backend (kernels/ addon) both implement it, so a model is written once.
//
// Conventions
// - Tensors are row-major. Activations are 2-D [rows, cols] unless stated; per-head views are [T, H, d] packed as
//   [T, H*d] (head-major within a row), exactly the layout of a linear layer's output.
// - Weights follow the Hugging Face layout: a linear weight is [out, in]; `linear` computes x · Wᵀ + b.
// - A 4-bit weight (AutoAWQ checkpoints) is a Tensor of dtype 'q4' with the same logical shape [out, in], made by
//   `weightQ4`; it is only ever a linear's weight (Linear.w), and `linear` and every LayerOps composite accept it.
// - An 8-bit weight (the W8A8 vision tower) is a Tensor of dtype 'i8' made by `weightI8`, likewise only a Linear's w:
//   `linear` then quantizes its input per row on each call and multiplies in integers (engine/core/quantize/int8.ts).
// - Ops return new tensors; nothing is modified in place unless the name says so (kv*).
// - `dispose` frees device memory (a no-op on CPU); callers dispose activations they no longer need.

export type DType = 'f32' | 'f16' | 'bf16';

/** A tensor's element type: a value dtype, 'q4' for a packed 4-bit linear weight (see Backend.weightQ4) or 'i8' for
 *  an int8 one (Backend.weightI8). */
export type TensorDType = DType | 'q4' | 'i8';

/** A linear weight W [out, in] quantized to int8 per output channel, symmetric: W[o][i] ≈ q[o·in + i] · scales[o]
 *  (engine/core/quantize/int8.ts makes it). */
export interface I8Weight {
  out: number;
  in: number;
  /** [out, in] codes in [-127, 127]. */
  q: Int8Array;
  /** [out] float32. */
  scales: Float32Array;
}

export interface Tensor {
  readonly shape: readonly number[];
  readonly dtype: TensorDType;
}

/** The shape of a 4-bit linear layer: W [out, in] quantized in groups of `groupSize` consecutive inputs. */
export interface AwqShape {
  /** Output features (rows of the HF weight [out, in]); a multiple of 8. */
  out: number;
  /** Input features; a multiple of groupSize. */
  in: number;
  groupSize: number;
}

/** One linear layer's 4-bit weight as stored in an AutoAWQ "gemm" checkpoint (little-endian arrays; the layout is
 *  defined and decoded in engine/core/checkpoint/awq-layout.ts): W[o][i] = (code - zero) * scale. */
export interface AwqPacked extends AwqShape {
  /** int32 [in, out/8]: eight 4-bit codes per word. */
  qweight: Int32Array;
  /** int32 [in/groupSize, out/8]: the groups' zero points, packed like qweight. */
  qzeros: Int32Array;
  /** fp16 bits [in/groupSize, out]. */
  scales: Uint16Array;
}

/** Raw tensor bytes as read from a safetensors file. */
export interface HostTensorData {
  dtype: DType;
  shape: number[];
  /** Little-endian element bytes, exactly shape.product * sizeof(dtype). */
  bytes: Uint8Array;
}

export interface KvCache {
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly capacity: number;
  /** Slots in use: slots [0, length) hold keys/values; the next write goes to `length`. */
  length: number;
}

export interface AttentionOptions {
  /** Softmax scale, normally 1/sqrt(headDim). */
  scale: number;
  /** Causal masking by cache slot: query row i may attend slot j only if j <= causalBase + i. Omit for full
   *  (bidirectional) attention, as in the vision tower. */
  causalBase?: number;
  /** Attend only these slots (ascending). Causal masking still applies. Used for decode retrieval. */
  slots?: Int32Array;
  /** Attend only the slots a kvPageSelect of this backend chose (decode retrieval 'pages'; not with `slots`). */
  pageSlots?: PageSlots;
  /** Block-diagonal attention: q and k/v hold `blocks` equal runs of rows (the frames of the vision tower) and each
   *  run attends only to its own run. Not combined with causalBase or slots. */
  blocks?: number;
}

/** Backend.kvScoresTopK's result for R rows. */
export interface KvTopK {
  positions: Int32Array[];
  total: Float64Array;
  kept: Float64Array;
}

/** Quest-style pages over a run of cache slots (engine/core/sparse/pages-ref.ts has the exact math): per full page of
 *  `pageSize` slots in [first, first + count), the min and max of every layer's keys per kv channel. */
export interface PageTableSpec {
  first: number;
  count: number;
  pageSize: number;
}
export interface PageTable {
  readonly spec: Readonly<PageTableSpec>;
  /** Full pages (a last partial page is always read). */
  readonly pages: number;
}
/** The slots one kvPageSelect chose, held by the backend (on the GPU: never copied to the host); valid until the next
 *  kvPageSelect on the same table. */
export interface PageSlots {
  readonly count: number;
}

/** A linear layer's parameters: x · wᵀ + b. `w` is [out, in] in the compute dtype, or 'q4' (Backend.weightQ4); the
 *  bias is never quantized. */
export interface Linear {
  readonly w: Tensor;
  readonly b?: Tensor;
}

/** An RMSNorm: its weight and epsilon. */
export interface RmsNormWeights {
  readonly w: Tensor;
  readonly eps: number;
}

/** A SiLU-gated MLP: down(silu(gate(x)) * up(x)). */
export interface SwiGluWeights {
  readonly gate: Linear;
  readonly up: Linear;
  readonly down: Linear;
}

/** A layer's q/k/v projections as LayerOps.packQkv stored them (a backend may keep them fused). */
export interface QkvProjection {
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  /** Per-head RMSNorms of q and k before RoPE (Qwen3's q_norm / k_norm, weight [d]). */
  readonly qkNorm?: QkNorm;
}
export interface QkNorm {
  readonly q: RmsNormWeights;
  readonly k: RmsNormWeights;
}

/** Rotary positions of a run of rows (rotate_half RoPE): one position per row and the inverse frequencies (angle of
 *  row t, frequency i = positions[t] · invFreq[i] in f32, as in Qwen2), or an explicit angle table (RopeAngles). */
export type RopePositions = RopeByPosition | RopeAngles;
export interface RopeByPosition {
  readonly positions: Int32Array;
  readonly invFreq: Float32Array;
}
/** An explicit f32 angle table [T, d/2]: angles[t·d/2 + i] is the angle of row t, frequency i (cos / sin taken in f32
 *  like HF). M-RoPE (three position streams by mrope_section) and the vision tower's 2-D rotary are such tables. The
 *  CUDA backend uploads a table once per array object: do not modify one after first use. */
export interface RopeAngles {
  readonly angles: Float32Array;
}

/** The residual stream between layer ops: h (f32), and optionally RMSNorm(h) with weight `normed.w`, computed ahead
 *  by the op that produced h (the CUDA prefill path does it in the GEMM's epilogue). The next op reads and frees it. */
export interface Hidden {
  readonly h: Tensor;
  readonly normed: { readonly w: Tensor; readonly t: Tensor } | null;
}

/** The composite (layer-level) ops models are written with. Every backend has them: engine/core/backend/layer-ops.ts
 *  builds them from the primitives; the CUDA backend overrides them with fused kernels (same math up to rounding).
 *  None frees its inputs, except a Hidden's `normed`. */
export interface LayerOps {
  /** Load time: a layer's q/k/v projections as the backend keeps them (the CUDA prefill path fuses [q; k; v]). The
   *  given tensors belong to the result afterwards (they may be freed and replaced by views). */
  packQkv(q: Linear, k: Linear, v: Linear, qkNorm?: QkNorm): QkvProjection;
  /** The attention block's input: n = RMSNorm(x.h); q, k, v = n projected; q and k per-head normed (qkv.qkNorm) and
   *  rotated (RoPE); k and v written to cache slots [at, at + T) of `layer`. Returns q [T, heads·d] (f32, RoPE
   *  applied). */
  attentionInput(x: Hidden, norm: RmsNormWeights, qkv: QkvProjection, heads: number, rope: RopePositions, cache: KvCache,
    layer: number, at: number): Tensor;
  /** residual + a · oᵀ (+ b). `next`: the norm the following op applies to the result, which the backend may
   *  compute in the same pass (Hidden.normed). */
  residualLinear(a: Tensor, o: Linear, residual: Tensor, next: RmsNormWeights | null): Hidden;
  /** The MLP block: x.h + down(silu(gate(n)) * up(n)) with n = RMSNorm(x.h, norm); `next` as in residualLinear. */
  residualSwiGlu(x: Hidden, norm: RmsNormWeights, mlp: SwiGluWeights, next: RmsNormWeights | null): Hidden;
  /** gelu(x · wᵀ + b) (an MLP's first half). The result only feeds a linear (a backend may return it in its 16-bit
   *  weight dtype). */
  linearGelu(x: Tensor, lin: Linear, kind: 'tanh' | 'erf'): Tensor;
  /** residual + x · wᵀ + b (a projection added to the residual stream). */
  linearAdd(x: Tensor, lin: Linear, residual: Tensor): Tensor;
  /** Frames' pixels [frames, C, S, S] -> patch rows [frames·(S/p)², C·p·p] in (c, ky, kx) order (the vision tower's
   *  patch embedding input), on the backend. */
  patchRows(pixels: Float32Array, frames: number, channels: number, size: number, patch: number): Tensor;
}

/** Greedy sampling without downloading the logits. */
export interface DeviceSampler {
  /** Per row of x [rows, V], the index of its largest value (ties -> the lowest index, as a host loop with `>` finds
   *  it); null when it cannot (the caller then samples the downloaded logits). */
  argmaxRows(x: Tensor): Int32Array | null;
}

export interface Backend {
  readonly name: 'cpu' | 'cuda';
  /** Human-readable description of the device (GPU name, CPU threads). */
  readonly device: string;
  /** The layer-level ops, built on this backend's primitives (see LayerOps). */
  readonly layerOps: LayerOps;
  /** Greedy token picking on the device, or null where the logits are sampled on the host. */
  readonly deviceSampler: DeviceSampler | null;

  /** Upload a weight once (converted to the backend's compute dtype). */
  weight(data: HostTensorData): Tensor;
  /** Upload a 4-bit linear weight once: a Tensor of logical shape [out, in] that `linear` (and every LayerOps
   *  composite) accepts as a Linear's w. Its dtype is 'q4' where the backend keeps it packed; a backend without 4-bit
   *  kernels for this shape may dequantize it at load (then it is a plain weight of the compute dtype). Either way
   *  the result equals x · dequantize(p)ᵀ up to the backend's rounding, dequantize(p) being awq-layout.ts's. */
  weightQ4(p: AwqPacked): Tensor;
  /** Upload an int8 linear weight once (W8A8): a Tensor of dtype 'i8' and logical shape [out, in] that `linear` (and
   *  the LayerOps composites linearGelu / linearAdd) accept as a Linear's w. `linear` quantizes x per row on each call
   *  (scale max|row| / 127) and returns (q_x · q_wᵀ) · s_x · s_w + b, int8.ts's linearI8Reference up to float rounding.
   *  A backend without int8 kernels throws (CUDA: not implemented yet). */
  weightI8(w: I8Weight): Tensor;
  fromHost(data: Float32Array, shape: readonly number[]): Tensor;
  toHost(t: Tensor): Float32Array;
  dispose(t: Tensor): void;
  /** Wait for queued device work (timing). */
  sync(): void;

  // --- dense ops -------------------------------------------------------------------------------------------
  /** ids -> rows of table [V, D] */
  embed(table: Tensor, ids: Int32Array): Tensor;
  /** x [M, K] · w[N, K]ᵀ (+ b[N]) -> [M, N]; w may be a 4-bit weight (weightQ4) or an int8 one (weightI8). */
  linear(x: Tensor, w: Tensor, b?: Tensor): Tensor;
  /** RMSNorm of each row of x [M, N]; with w [n], N a multiple of n, of each run of n columns (per-head norms:
   *  Qwen3's q_norm / k_norm over [T, H·d]). */
  rmsNorm(x: Tensor, w: Tensor, eps: number): Tensor;
  layerNorm(x: Tensor, w: Tensor, b: Tensor, eps: number): Tensor;
  add(a: Tensor, b: Tensor): Tensor;
  /** GELU; 'tanh' is gelu_pytorch_tanh, 'erf' the exact one. */
  gelu(x: Tensor, kind: 'tanh' | 'erf'): Tensor;
  /** silu(gate) * up, elementwise */
  siluMul(gate: Tensor, up: Tensor): Tensor;
  /** Rotary embedding (rotate_half form, as in Qwen2/Llama) on x [T, H*d] with per-row positions. */
  rope(x: Tensor, heads: number, positions: Int32Array, invFreq: Float32Array): Tensor;
  /** The same with an explicit angle table [T, d/2] (RopeAngles). */
  ropeAngles(x: Tensor, heads: number, angles: Float32Array): Tensor;
  /** Row selection x[idx] and row concatenation. */
  gatherRows(x: Tensor, idx: Int32Array): Tensor;
  concatRows(parts: readonly Tensor[]): Tensor;
  /** Rows [start, end) of x. */
  sliceRows(x: Tensor, start: number, end: number): Tensor;
  /** x's elements in row-major order as a [rows, cols] tensor (same dtype; e.g. a merger's groups of rows as one row). */
  reshape(x: Tensor, rows: number, cols: number): Tensor;
  /** x [F*h*w, C] viewed as F frames of an h×w grid; bilinear resize (align_corners=false, like
   *  torch.nn.functional.interpolate) to oh×ow -> [F*oh*ow, C]. */
  bilinearResize(x: Tensor, frames: number, h: number, w: number, oh: number, ow: number): Tensor;

  /** Attention with q [Tq, Hq*d], k/v [Tk, Hkv*d] (GQA: Hq multiple of Hkv) -> [Tq, Hq*d]. */
  attention(q: Tensor, k: Tensor, v: Tensor, heads: number, kvHeads: number, opts: AttentionOptions): Tensor;

  /** Patch saliency: for q, k [T, H*d], s[j] = mean over heads h and rows i of softmax_j(q_i·k_j·scale).
   *  Must be computed without materializing the full T×T matrix per head where that matters. `blocks` (default 1):
   *  q and k hold that many equal runs of rows (frames) and each run's means are taken within the run. */
  attentionColumnMean(q: Tensor, k: Tensor, heads: number, scale: number, blocks?: number): Float32Array;

  // --- KV cache --------------------------------------------------------------------------------------------
  createKvCache(layers: number, kvHeads: number, headDim: number, capacity: number): KvCache;
  /** Write k, v [T, Hkv*d] of `layer` into slots [at, at+T). Does not change `length` (the session does). */
  kvWrite(cache: KvCache, layer: number, k: Tensor, v: Tensor, at: number): void;
  /** Attention of q [Tq, Hq*d] over slots [0, kvLen) of `layer` (or opts.slots). */
  kvAttention(cache: KvCache, layer: number, q: Tensor, heads: number, kvLen: number, opts: AttentionOptions): Tensor;
  /** Retrieval scoring: for each candidate slot, the mean over heads and query rows of softmax(q·Kᵀ·scale) where
   *  the softmax runs over all slots [0, kvLen) with causal masking from opts.causalBase; returns scores for
   *  `candidates` only (same order). */
  kvScores(cache: KvCache, layer: number, q: Tensor, heads: number, kvLen: number, candidates: Int32Array,
    opts: AttentionOptions): Float32Array;
  /** kvScores whose download is deferred: the returned function gives them (same numbers). Retrieval scores all
   *  layers of a question prefill this way, with one host synchronisation instead of one per layer on the GPU (the CPU
   *  computes them at once). `candidates` must not change until the function has been called. */
  kvScoresDeferred(cache: KvCache, layer: number, q: Tensor, heads: number, kvLen: number, candidates: Int32Array,
    opts: AttentionOptions): () => Float32Array;
  /** Per-row top-k of kvScoresDeferred scores still on the device (decode retrieval, one row per layer), so only the
   *  chosen positions come back. `rows`: functions returned by this backend's kvScoresDeferred for the same
   *  `candidates` array, none called yet. Per row: topKAscending(scores, k) (positions into candidates, ascending, ties
   *  to the lower position, NaN last), the row's score sum (`total`) and the selected part of it (`kept`). Consumes the
   *  rows. Returns null when it cannot (no device top-k, as on the CPU, or a row not from this backend or already
   *  downloaded): the caller downloads them and ranks them in JS instead. */
  kvScoresTopK(rows: readonly (() => Float32Array)[], k: number): KvTopK | null;
  /** Page bounds of every layer's keys over spec's run (computed once; the run's keys must not change after). */
  kvPageTable(cache: KvCache, spec: PageTableSpec): PageTable;
  /** One decode row q [1, heads*d] of `layer`: the `topPages` best pages by their logit upper bound, as the slots
   *  [0, first) + those pages + [first + pages * pageSize, kvLen) for kvAttention's opts.pageSlots; the chosen pages
   *  are also logged. */
  kvPageSelect(table: PageTable, layer: number, q: Tensor, heads: number, topPages: number, kvLen: number, scale: number): PageSlots;
  /** The pages every kvPageSelect chose since the last call, in call order (topPages each, ascending); clears the log. */
  kvPageLog(table: PageTable): Int32Array;
  disposePageTable(table: PageTable): void;
  /** Keep only `keep` slots (ascending), packed to the front, in every layer; length becomes keep.length. */
  kvCompact(cache: KvCache, keep: Int32Array): void;
  /** Bytes held by the cache's first `length` slots. */
  kvBytes(cache: KvCache, length: number): number;
  disposeKvCache(cache: KvCache): void;
}
