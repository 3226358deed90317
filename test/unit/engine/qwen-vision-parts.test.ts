// The Qwen-VL towers' parts on their own: config parsing and its errors, grid geometry (rotary coordinates, windows,
// batches of whole temporal groups), segmented attention against a plain softmax reference (in place and gathered),
// the 2-D rotary against HF's cos/sin formula, token saliency pooling, and Backend.reshape.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../../engine/core/backend/cpu/cpu-backend.ts';
import { AttentionSegments, VisionRotary } from '../../../engine/core/models/qwen-vision-attention.ts';
import { checkGrids, chunkGrids, groupSegments, patchCoordinates, windowMergedUnits } from '../../../engine/core/models/qwen-vision-grid.ts';
import { parseQwen25VisionConfig, windowUnits } from '../../../engine/core/models/qwen2-5-vl-vision-config.ts';
import { windowLayout } from '../../../engine/core/models/qwen2-5-vl-vision.ts';
import { parseQwen3VisionConfig } from '../../../engine/core/models/qwen3-vl-vision-config.ts';
import { mergedTokenSaliency } from '../../../engine/core/sparse/merged-saliency.ts';
import { seededRandom } from '../kernels/backend-ops-table.ts';

const be = new CpuBackend({ threads: 1 });

describe('vision_config parsing', () => {
  const hub25 = { depth: 32, hidden_act: 'silu', hidden_size: 1280, intermediate_size: 3420, num_heads: 16, in_chans: 3,
    out_hidden_size: 3584, patch_size: 14, spatial_merge_size: 2, spatial_patch_size: 14, window_size: 112,
    fullatt_block_indexes: [7, 15, 23, 31], tokens_per_second: 2, temporal_patch_size: 2 };

  it('reads a hub Qwen2.5-VL-7B vision_config (in_chans, no rope_parameters)', () => {
    const c = parseQwen25VisionConfig(hub25);
    expect(c).toMatchObject({ depth: 32, hiddenSize: 1280, heads: 16, headDim: 80, channels: 3, ropeTheta: 10000,
      fullAttentionLayers: [7, 15, 23, 31], outHiddenSize: 3584 });
    expect(windowUnits(c)).toBe(4);
  });

  it('reads a Qwen3-VL vision_config with its defaults', () => {
    const c = parseQwen3VisionConfig({ depth: 24, hidden_size: 1024, num_heads: 16, intermediate_size: 4096, out_hidden_size: 2048,
      deepstack_visual_indexes: [5, 11, 17], rope_parameters: { rope_type: 'axial', rope_theta: 10000 } });
    expect(c).toMatchObject({ positionGrid: 48, patchSize: 16, act: 'tanh', deepstackLayers: [5, 11, 17], headDim: 64 });
  });

  it('refuses what the towers cannot run, naming the field', () => {
    expect(() => parseQwen25VisionConfig({ ...hub25, hidden_act: 'gelu' })).toThrow(/vision_config.hidden_act "gelu" is not supported/);
    expect(() => parseQwen25VisionConfig({ ...hub25, fullatt_block_indexes: [7, 32] })).toThrow(/fullatt_block_indexes has 32: layer indices must be integers in \[0, 32\)/);
    expect(() => parseQwen25VisionConfig({ ...hub25, window_size: 20 })).toThrow(/window_size 20 is smaller than one merged unit/);
    expect(() => parseQwen25VisionConfig({ ...hub25, hidden_size: 1260, num_heads: 14 })).toThrow(/head dim 90 .* multiple of 4/);
    expect(() => parseQwen25VisionConfig({ ...hub25, model_type: 'siglip_vision_model' })).toThrow(/not a Qwen2.5-VL vision tower/);
    expect(() => parseQwen3VisionConfig({ num_position_embeddings: 2300 })).toThrow(/num_position_embeddings 2300 is not a square/);
    expect(() => parseQwen3VisionConfig({ deepstack_visual_indexes: 8 })).toThrow(/deepstack_visual_indexes must be a list/);
  });
});

describe('grid geometry', () => {
  it('patch coordinates follow the merge-block order of pixel_values_videos', () => {
    const { h, w } = patchCoordinates([{ t: 2, h: 2, w: 4 }], 2);
    // One group: merged units (0,0) and (0,1), each 2x2 patches row-major; the second group repeats the first.
    expect([...h]).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]);
    expect([...w]).toEqual([0, 1, 0, 1, 2, 3, 2, 3, 0, 1, 0, 1, 2, 3, 2, 3]);
  });

  it('windows cut the merged grid from the top-left, edge windows smaller, per temporal group', () => {
    // 5 x 3 merged units, windows of 2 x 2: sizes 4, 2 / 4, 2 / 2, 1.
    const wins = windowMergedUnits([{ t: 2, h: 10, w: 6 }], 2, 2);
    expect(wins.map((x) => x.length)).toEqual([4, 2, 4, 2, 2, 1, 4, 2, 4, 2, 2, 1]);
    expect([...wins[0]]).toEqual([0, 1, 3, 4]);
    expect([...wins[5]]).toEqual([14]);
    expect([...wins[6]]).toEqual([15, 16, 18, 19]);
    // The tower's order groups equal window sizes: each window layer is one attention call per size.
    const layout = windowLayout([{ t: 2, h: 10, w: 6 }], 2, 2);
    expect(layout.windowSizes).toEqual([4, 4, 4, 4, 2, 2, 2, 2, 2, 2, 1, 1]);
    expect([...layout.unitOrder].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('batches are whole temporal groups, in order, at most maxRows each (a larger group alone)', () => {
    const chunks = chunkGrids([{ t: 3, h: 4, w: 4 }, { t: 2, h: 8, w: 8 }], 40);
    expect(chunks.map((c) => [c.rowStart, c.rows, c.grids.map((g) => g.t)])).toEqual([
      [0, 32, [2]], [32, 16, [1]], [48, 64, [1]], [112, 64, [1]]]);
    expect(chunkGrids([{ t: 3, h: 4, w: 4 }], 1e9)).toEqual([{ grids: [{ t: 3, h: 4, w: 4 }], rowStart: 0, rows: 48 }]);
  });

  it('refuses grids that are not whole merged units', () => {
    expect(() => checkGrids([{ t: 1, h: 6, w: 5 }], 2)).toThrow(/video_grid_thw\[0\] = \(1, 6, 5\): h and w must be multiples/);
    expect(() => checkGrids([{ t: 0, h: 6, w: 6 }], 2)).toThrow(/video_grid_thw\[0\].t must be a positive integer/);
    expect(() => checkGrids([], 2)).toThrow(/no grid/);
  });
});

/** softmax attention of one segment, plain float64. */
function naiveSegment(q: Float32Array, k: Float32Array, v: Float32Array, rows: number[], heads: number, d: number, scale: number,
  out: Float64Array, colMean: Float64Array): void {
  const W = heads * d;
  for (let hh = 0; hh < heads; hh++) {
    for (const i of rows) {
      const s = rows.map((j) => { let a = 0; for (let x = 0; x < d; x++) a += q[i * W + hh * d + x] * k[j * W + hh * d + x]; return a * scale; });
      const m = Math.max(...s), e = s.map((x) => Math.exp(x - m)), z = e.reduce((a, b) => a + b, 0);
      rows.forEach((j, jj) => {
        const p = e[jj] / z;
        colMean[j] += p / (heads * rows.length);
        for (let x = 0; x < d; x++) out[i * W + hh * d + x] += p * v[j * W + hh * d + x];
      });
    }
  }
}

describe('segmented attention', () => {
  const heads = 2, d = 8, W = heads * d, scale = 0.4;
  const cases: [string, number[][]][] = [
    ['adjacent equal segments (no gather)', [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], [10, 11]]],
    ['interleaved segments of two lengths (gathered)', [[0, 5, 2, 9], [1, 3], [4, 6, 7, 8], [10, 11]]],
  ];
  it.each(cases)('%s matches a plain softmax per segment', (_name, segs) => {
    const rows = 12, r = seededRandom(5);
    const q = r(rows * W, 1.5), k = r(rows * W, 1.5), v = r(rows * W);
    const ref = new Float64Array(rows * W), col = new Float64Array(rows);
    for (const s of segs) naiveSegment(q, k, v, s, heads, d, scale, ref, col);
    const plan = new AttentionSegments(segs.map((s) => Int32Array.from(s)), rows);
    const [tq, tk, tv] = [q, k, v].map((x) => be.fromHost(x, [rows, W]));
    const got = be.toHost(plan.attention(be, tq, tk, tv, heads, scale));
    const cm = plan.columnMeans(be, tq, tk, heads, scale);
    for (let i = 0; i < ref.length; i++) expect(got[i]).toBeCloseTo(ref[i], 5);
    for (let i = 0; i < rows; i++) expect(cm[i]).toBeCloseTo(col[i], 6);
  });

  it('refuses segments that overlap or leave rows out', () => {
    expect(() => new AttentionSegments([Int32Array.from([0, 1]), Int32Array.from([1, 2])], 3)).toThrow(/row 1 .* in two segments/);
    expect(() => new AttentionSegments([Int32Array.from([0, 1])], 3)).toThrow(/cover 2 of 3 rows/);
  });
});

it('the 2-D rotary equals HF: cos/sin of cat(h·f, w·f) repeated, rotate_half', () => {
  const heads = 2, d = 16, rows = 3, theta = 10000;
  const h = Int32Array.from([0, 3, 7]), w = Int32Array.from([5, 0, 2]);
  const x = seededRandom(9)(rows * heads * d);
  const got = be.toHost(new VisionRotary(d, theta, h, w).apply(be, be.fromHost(x, [rows, heads * d]), heads));
  const f = Array.from({ length: d / 4 }, (_, j) => 1 / theta ** ((2 * j) / (d / 2)));
  for (let r = 0; r < rows; r++) {
    const ang = [...f.map((fj) => h[r] * fj), ...f.map((fj) => w[r] * fj)];
    for (let hh = 0; hh < heads; hh++) {
      const o = (r * heads + hh) * d;
      for (let i = 0; i < d / 2; i++) {
        const x1 = x[o + i], x2 = x[o + i + d / 2];
        expect(got[o + i]).toBeCloseTo(x1 * Math.cos(ang[i]) - x2 * Math.sin(ang[i]), 5);
        expect(got[o + i + d / 2]).toBeCloseTo(x2 * Math.cos(ang[i]) + x1 * Math.sin(ang[i]), 5);
      }
    }
  }
});

it('token saliency is the mean of each merged unit\'s patches; bad lengths are refused', () => {
  expect([...mergedTokenSaliency([1, 2, 3, 6, 0, 0, 0, 4], 4)]).toEqual([3, 1]);
  expect(() => mergedTokenSaliency([1, 2, 3], 4)).toThrow(/3 patch scores are not whole merged units of 4/);
});

it('Backend.reshape keeps row-major order and refuses a different element count', () => {
  const x = be.fromHost(Float32Array.from({ length: 12 }, (_, i) => i), [6, 2]);
  const y = be.reshape(x, 3, 4);
  expect(y.shape).toEqual([3, 4]);
  expect([...be.toHost(y)]).toEqual(Array.from({ length: 12 }, (_, i) => i));
  expect(() => be.reshape(x, 5, 2)).toThrow(/cannot be viewed as 5 x 2/);
});
