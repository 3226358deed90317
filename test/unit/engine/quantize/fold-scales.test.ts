// AWQ's scales folded into the layers (norms, v_proj and up_proj rows, the scaled linears' columns) leave the model's
// function unchanged: the same logits from a float32 folder with the folded (unquantized) weights.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '../../../../engine/core/backend/create-backend.ts';
import type { Backend } from '../../../../engine/core/backend/backend.ts';
import { hfName } from '../../../../engine/core/checkpoint/make-checkpoint.ts';
import { writeSafetensors, type TensorToWrite } from '../../../../engine/core/checkpoint/safetensors.ts';
import { CheckpointWeights } from '../../../../engine/core/checkpoint/weights.ts';
import { hostToF32 } from '../../../../engine/core/backend/dtype.ts';
import { loadModel } from '../../../../engine/core/models/load-model.ts';
import { parseConfig } from '../../../../engine/core/models/llava-onevision-config.ts';
import { readJsonFile } from '../../../../engine/core/checkpoint/load.ts';
import { gatherActivations } from '../../../../engine/core/quantize/calibration.ts';
import { HostMatmul } from '../../../../engine/core/quantize/matmul.ts';
import { foldScales, searchLayerScales } from '../../../../engine/core/quantize/quantize-layer.ts';
import { GROUP_KINDS, groupKey, layerNames, LINEARS, valueChannelOf } from '../../../../engine/core/quantize/qwen2-groups.ts';
import { readLayer } from '../../../../engine/core/quantize/read-layer.ts';
import { freshCheckpoints } from '../fresh-checkpoints.ts';

const { tmp, fresh } = freshCheckpoints('fold-');
let be: Backend;
beforeAll(async () => { be = await createBackend('cpu', { threads: 1 }); });

/** The folder with every layer's AWQ scales folded in, weights left in float32. */
async function foldedFolder(src: string, dst: string): Promise<number[]> {
  const text = parseConfig(readJsonFile(join(src, 'config.json'))).text;
  const cal = await gatherActivations(src, be, { videos: [], frames: 2, rowsPerGroup: 64, syntheticSeeds: [3] });
  const w = new CheckpointWeights(src);
  const out: Record<string, TensorToWrite> = {}, read = new Set<string>(), alphas: number[] = [];
  const put = (name: string, v: Float32Array, shape: number[]) => { out[hfName(name)] = { dtype: 'F32', shape, data: v }; };
  for (let i = 0; i < text.layers; i++) {
    const names = layerNames(text, i);
    const { weights } = readLayer(w, names, read);
    const mm = Object.fromEntries(GROUP_KINDS.map((k) => [k, new HostMatmul(be, cal.activations.get(groupKey(i, k))!)])) as Parameters<typeof searchLayerScales>[1];
    const s = searchLayerScales(weights, mm, { be, method: 'awq', groupSize: 32, clip: false, valueChannelOf: valueChannelOf(text), valueDim: text.kvHeads * text.headDim });
    alphas.push(...Object.values(s.alpha));
    const f = foldScales(weights, s);
    for (const n of LINEARS) {
      const l = names.linears[n];
      put(l.weight, f.linears[n].data, [...l.shape]);
      if (l.bias) put(l.bias, f.biases[n]!, [l.shape[0]]);
    }
    put(names.inputNorm, f.inputNorm, [text.hiddenSize]);
    put(names.postNorm, f.postNorm, [text.hiddenSize]);
  }
  for (const n of w.names().filter((k) => !read.has(k))) put(n, hostToF32(w.get(n)), w.get(n).shape);
  w.close();
  writeSafetensors(join(dst, 'model.safetensors'), out);
  for (const file of readdirSync(src)) if (!file.endsWith('.safetensors')) copyFileSync(join(src, file), join(dst, file));
  return alphas;
}

describe('AWQ scale folding', () => {
  it('keeps the logits (float32 folder, scales searched on calibration activations)', async () => {
    for (const preset of ['tiny', 'small'] as const) {
      const src = fresh({ preset, seed: 9, std: 0.3 });
      const dst = join(tmp, `${preset}-folded`);
      mkdirSync(dst);
      const alphas = await foldedFolder(src, dst);
      // The search picked real scales somewhere (α = 0 everywhere would make the fold trivially the identity).
      expect(alphas.some((a) => a > 0), preset).toBe(true);
      const ids = Int32Array.from({ length: 24 }, (_, i) => (i * 37 + 11) % 200);
      const [a, b] = await Promise.all([src, dst].map((d) => loadModel(d, { backend: 'cpu' })));
      const la = a.model.logits(ids, null, 0), lb = b.model.logits(ids, null, 0);
      let d = 0, m = 0;
      for (let i = 0; i < la.length; i++) { d = Math.max(d, Math.abs(la[i] - lb[i])); m = Math.max(m, Math.abs(la[i])); }
      expect(d / m, preset).toBeLessThan(1e-4);
    }
  });
});
