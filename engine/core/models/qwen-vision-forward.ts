// What both Qwen-VL vision towers share around their layers: the checks of pixel_values_videos against
// video_grid_thw, batches of whole temporal groups (attention never crosses one, so batching is exact), the outputs
// concatenated in HF's order, patch saliency pooled to tokens, and the merger MLP.
import type { Backend, Linear, Tensor } from '../backend/backend.ts';
import { mergedTokenSaliency } from '../sparse/merged-saliency.ts';
import { checkGrids, chunkGrids, gridRows, type VisionGrid } from './qwen-vision-grid.ts';
import type { QwenVisionBase } from './qwen-vision-config.ts';

/** Patch rows per tower batch by default: GEMMs of this many rows keep a GPU busy at bounded activation memory. */
export const QWEN_VISION_BATCH_ROWS = 16384;

export interface QwenVisionOptions {
  /** Also compute patch saliency (the tower's last full-attention layer) and its per-token pooling. */
  saliency?: boolean;
  /** Patch rows per batch (whole temporal groups; a group larger than this is a batch of its own). */
  maxRows?: number;
  signal?: AbortSignal;
  onProgress?: (doneRows: number, totalRows: number) => void;
}

export interface QwenVisionOutput {
  /** Merged tokens [N / m², out_hidden_size] in HF's order: grid by grid, temporal group by group, the merged grid
   *  row-major (what the LLM's video placeholder rows receive, in order). */
  features: Tensor;
  /** Qwen3-VL DeepStack: one [N / m², out_hidden_size] per deepstack_visual_indexes entry, same row order. */
  deepstack?: Tensor[];
  /** With opts.saliency: per patch row of pixel_values_videos (input order), the mean attention it receives from its
   *  temporal group on the last full-attention layer; per merged token (features' rows), the mean of its m² patches. */
  saliency?: { patches: Float32Array; tokens: Float32Array };
}

/** One batch's results (features and deepstack rows for its merged units, patch saliency for its rows). */
export interface BatchOutput {
  features: Tensor;
  deepstack: Tensor[];
  patchSaliency: Float32Array | null;
}

/** Runs `batch` over the grids in batches of whole temporal groups and joins the results. `pixels` is HF's
 *  pixel_values_videos [N, C * temporal_patch * p * p] (row-major, f32). */
export function runQwenVision(be: Backend, cfg: QwenVisionBase, pixels: Float32Array, grids: readonly VisionGrid[],
  opts: QwenVisionOptions, batch: (x: Tensor, grids: VisionGrid[], saliency: boolean) => BatchOutput): QwenVisionOutput {
  checkGrids(grids, cfg.mergeSize);
  const width = cfg.channels * cfg.temporalPatchSize * cfg.patchSize * cfg.patchSize;
  const rows = gridRows(grids);
  if (pixels.length !== rows * width) {
    throw new Error(`pixel_values_videos: video_grid_thw implies ${rows} patch rows of ${width} values (${rows * width}), got ${pixels.length} values`);
  }
  const saliency = opts.saliency ?? false;
  const feats: Tensor[] = [], deep: Tensor[][] = [], sal: Float32Array[] = [];
  try {
    for (const chunk of chunkGrids(grids, opts.maxRows ?? QWEN_VISION_BATCH_ROWS)) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
      const x = be.fromHost(pixels.subarray(chunk.rowStart * width, (chunk.rowStart + chunk.rows) * width), [chunk.rows, width]);
      let out: BatchOutput;
      try {
        out = batch(x, chunk.grids, saliency);
      } finally {
        be.dispose(x);
      }
      feats.push(out.features);
      deep.push(out.deepstack);
      if (out.patchSaliency) sal.push(out.patchSaliency);
      opts.onProgress?.(chunk.rowStart + chunk.rows, rows);
    }
  } catch (e) {
    for (const t of [...feats, ...deep.flat()]) be.dispose(t);
    throw e;
  }
  const join = (parts: Tensor[]): Tensor => {
    if (parts.length === 1) return parts[0];
    const all = be.concatRows(parts);
    for (const p of parts) be.dispose(p);
    return all;
  };
  const out: QwenVisionOutput = { features: join(feats) };
  const layers = deep[0]?.length ?? 0;
  if (layers > 0) out.deepstack = Array.from({ length: layers }, (_, i) => join(deep.map((d) => d[i])));
  if (saliency) {
    const patches = new Float32Array(rows);
    let o = 0;
    for (const s of sal) { patches.set(s, o); o += s.length; }
    out.saliency = { patches, tokens: mergedTokenSaliency(patches, cfg.mergeSize * cfg.mergeSize) };
  }
  return out;
}

/** The merger MLP on merged rows [N / m², m² * H]: fc2(gelu(fc1(x))) with the exact GELU (HF nn.GELU()). */
export function mergerMlp(be: Backend, merged: Tensor, fc1: Linear, fc2: Linear): Tensor {
  const a = be.layerOps.linearGelu(merged, fc1, 'erf');
  const out = be.linear(a, fc2.w, fc2.b);
  be.dispose(a);
  return out;
}

/** Rows [N, H] as merged rows [N / unit, unit * H] (each merged unit's patch rows side by side). */
export function mergeRows(be: Backend, x: Tensor, unit: number): Tensor {
  const [n, h] = x.shape;
  if (n % unit !== 0) throw new Error(`merger: ${n} rows are not whole merged units of ${unit}`);
  return be.reshape(x, n / unit, unit * h);
}
