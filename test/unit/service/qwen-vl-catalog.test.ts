// The Qwen-VL repos in the model manager: parameter counts computed from their configs equal the Hub's own totals,
// sizes follow the tensors (16-bit, or AWQ for the language model), and such models in the Hugging Face cache are
// offered like LLaVA-OneVision ones.
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SafetensorsFile } from '../../../engine/core/checkpoint/safetensors.ts';
import { describeModelFolder } from '../../../engine/service/models/model-folder.ts';
import { MODEL_CATALOG } from '../../../engine/service/models/catalog.ts';
import { findCachedHubModels } from '../../../engine/service/models/hub-cache.ts';
import { QWEN_VL_DIMS } from '../../../engine/service/models/qwen-vl-catalog.ts';
import { qwenVlCheckpointSize, qwenVlDimsOf } from '../../../engine/service/models/qwen-vl-size.ts';
import { tmpDir } from './fixture.ts';

describe('Qwen-VL catalog entries', () => {
  it('lists the common repos with the parameter counts the Hub states for them', () => {
    const byRepo = new Map(MODEL_CATALOG.map((m) => [m.repo, m]));
    // The Hub's "Model size" (safetensors totals) for each repo, in billions.
    const hub: [string, number][] = [
      ['Qwen/Qwen2.5-VL-3B-Instruct', 3.75], ['Qwen/Qwen2.5-VL-7B-Instruct', 8.29],
      ['Qwen/Qwen3-VL-2B-Instruct', 2.13], ['Qwen/Qwen3-VL-4B-Instruct', 4.44], ['Qwen/Qwen3-VL-8B-Instruct', 8.77],
    ];
    for (const [repo, billions] of hub) {
      const m = byRepo.get(repo);
      expect(m, repo).toBeDefined();
      expect(Math.round((m!.parameters ?? 0) / 1e7) / 100, repo).toBe(billions);
      expect(m!.sizeBytes, repo).toBe(m!.parameters! * 2);
    }
    for (const repo of ['Qwen/Qwen2.5-VL-3B-Instruct-AWQ', 'Qwen/Qwen2.5-VL-7B-Instruct-AWQ']) {
      const awq = byRepo.get(repo)!;
      const base = byRepo.get(repo.replace('-AWQ', ''))!;
      expect(awq.parameters).toBe(base.parameters);
      expect(awq.sizeBytes / base.sizeBytes).toBeGreaterThan(0.35);
      expect(awq.sizeBytes / base.sizeBytes).toBeLessThan(0.5);
    }
  });

  it('counts the 7B checkpoint tensor by tensor (vision 0.68B, exact AWQ bytes of one linear)', () => {
    const full = qwenVlCheckpointSize(QWEN_VL_DIMS.QWEN25_7B);
    const textOnly = qwenVlCheckpointSize({ ...QWEN_VL_DIMS.QWEN25_7B, vision: { ...QWEN_VL_DIMS.QWEN25_7B.vision, depth: 0 } });
    // 32 blocks of 19,702,200 parameters (norms, qkv + proj with biases, SwiGLU with biases).
    expect(full.parameters - textOnly.parameters).toBe(32 * 19_702_200);
    const oneLayer = (layers: number) => qwenVlCheckpointSize({ ...QWEN_VL_DIMS.QWEN25_7B, text: { ...QWEN_VL_DIMS.QWEN25_7B.text, layers } }, { bits: 4, groupSize: 128 });
    // One AWQ linear [out, in]: int32 qweight [in, out/8], int32 qzeros [in/128, out/8], fp16 scales [in/128, out].
    const awq = (out: number, inp: number) => (inp * out) / 2 + (inp / 128) * (out / 8) * 4 + (inp / 128) * out * 2;
    const attention = awq(3584, 3584) + 2 * awq(512, 3584) + awq(3584, 3584) + 2 * (3584 + 2 * 512); // + fp16 qkv biases
    const mlp = 2 * awq(18944, 3584) + awq(3584, 18944);
    expect(oneLayer(1).bytes - oneLayer(0).bytes).toBe(attention + mlp + 2 * 3584 * 2);
    expect(() => qwenVlCheckpointSize({ ...QWEN_VL_DIMS.QWEN3_2B, text: { ...QWEN_VL_DIMS.QWEN3_2B.text, intermediate: 6100 } }, { bits: 4, groupSize: 128 })).toThrow(/does not fit AWQ groups of 128/);
  });
});

const fixtures = path.resolve(import.meta.dirname, '../../fixtures');

/** Elements of every tensor in a folder's safetensors files. */
function tensorElements(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.safetensors'))) {
    const st = new SafetensorsFile(path.join(dir, f));
    for (const t of st.tensors.values()) n += t.shape.reduce((a, b) => a * b, 1);
    st.close();
  }
  return n;
}

describe('Qwen-VL model folders', () => {
  it('the counter equals the tensors transformers saved, for both families (random checkpoints from HF 5.17)', () => {
    for (const family of ['qwen2_5_vl', 'qwen3_vl']) {
      const dir = path.join(fixtures, 'qwen-vl', family, 'model');
      const raw = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
      expect(qwenVlCheckpointSize(qwenVlDimsOf(raw)).parameters, family).toBe(tensorElements(dir));
    }
  });

  it('a folder as published (config, weights, tokenizer, video processor) is described with its video sampling', () => {
    const dir = path.join(tmpDir('sv-qwen-folder-'), 'Qwen3-VL-tiny');
    cpSync(path.join(fixtures, 'qwen-vl', 'qwen3_vl', 'model'), dir, { recursive: true });
    const noTokenizer = () => describeModelFolder(dir, 'local');
    expect(noTokenizer).toThrow(/video_preprocessor_config.json/);
    // The published processor is for 16 px patches; this tiny tower has 4.
    copyFileSync(path.join(fixtures, 'qwen-processor', 'qwen3', 'video_preprocessor_config.json'), path.join(dir, 'video_preprocessor_config.json'));
    expect(noTokenizer).toThrow(/the video processor's patch_size 16 differs from vision_config's 4/);
    const processor = { size: { shortest_edge: 256, longest_edge: 8 * 8 * 64 }, patch_size: 4, temporal_patch_size: 2, merge_size: 2, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5], video_processor_type: 'Qwen3VLVideoProcessor' };
    writeFileSync(path.join(dir, 'video_preprocessor_config.json'), JSON.stringify(processor));
    expect(noTokenizer).toThrow(/tokenizer.json is missing/);
    writeFileSync(path.join(dir, 'tokenizer.json'), '{}');
    const f = describeModelFolder(dir, 'local');
    expect(f.kind).toBe('qwen-vl');
    expect(f.info).toMatchObject({
      name: 'Qwen3-VL-tiny', architecture: 'Qwen3VLForConditionalGeneration', parameters: tensorElements(dir), tokensPerFrame: 0,
      video: { family: 'qwen3-vl', fps: 2, minFrames: 4, maxFrames: 768, minPixels: 256, maxPixels: 4096, budget: 'video', patchSize: 4, mergeSize: 2, temporalPatchSize: 2 },
    });
    expect(f.info.description).toMatch(/^3-layer Qwen3-VL/);
  });
});

describe('Qwen-VL models in the Hugging Face cache', () => {
  it('are offered beside LLaVA-OneVision ones; other model types are not', async () => {
    const cache = tmpDir('sv-qwen-hub-');
    const put = (repo: string, modelType: string) => {
      const repoDir = path.join(cache, `models--${repo.replace('/', '--')}`);
      const commit = createHash('sha1').update(repo).digest('hex');
      mkdirSync(path.join(repoDir, 'snapshots', commit), { recursive: true });
      mkdirSync(path.join(repoDir, 'refs'), { recursive: true });
      writeFileSync(path.join(repoDir, 'snapshots', commit, 'config.json'), JSON.stringify({ model_type: modelType }));
      writeFileSync(path.join(repoDir, 'refs', 'main'), commit);
    };
    put('Qwen/Qwen2.5-VL-3B-Instruct', 'qwen2_5_vl');
    put('Qwen/Qwen3-VL-2B-Instruct', 'qwen3_vl');
    put('acme/bert', 'bert');
    const found = await findCachedHubModels(cache);
    expect(found.map((m) => m.repo)).toEqual(['Qwen/Qwen2.5-VL-3B-Instruct', 'Qwen/Qwen3-VL-2B-Instruct']);
  });
});
