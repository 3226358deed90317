// Hostile model folders (issue 16 item 11): every one is refused up front with an error that names the file and the
// problem, before anything proportional to a config dimension is built, and nothing outside the folder is opened.
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshCheckpoints } from './fresh-checkpoints.ts';
import { loadCheckpoint } from '../../../engine/core/checkpoint/load.ts';
import { SafetensorsFile } from '../../../engine/core/checkpoint/safetensors.ts';
import { loadModel } from '../../../engine/core/models/load-model.ts';
import { describeModelFolder } from '../../../engine/service/models/model-folder.ts';

const { tmp, fresh } = freshCheckpoints('ck-hostile-');
type Json = Record<string, any>;
const editJson = (file: string, edit: (j: Json) => void) => {
  const j = JSON.parse(readFileSync(file, 'utf8'));
  edit(j);
  writeFileSync(file, JSON.stringify(j));
};
const editConfig = (d: string, edit: (j: Json) => void) => editJson(join(d, 'config.json'), edit);

/** A safetensors file with this exact header text (and `dataBytes` zero bytes of data). */
function rawSafetensors(file: string, header: string, dataBytes = 0): void {
  const h = Buffer.from(header, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  writeFileSync(file, Buffer.concat([len, h, Buffer.alloc(dataBytes)]));
}

describe('config dimensions are bounded by the weight files', () => {
  it('text_config.num_hidden_layers 1e9 is refused at once (no 1e9-entry layout, no abort)', async () => {
    const d = fresh();
    editConfig(d, (c) => { c.text_config.num_hidden_layers = 1e9; });
    const t0 = performance.now();
    expect(() => loadCheckpoint(d)).toThrow(/text_config\.num_hidden_layers is 1000000000 but the weights hold 2 language-model layers/);
    await expect(loadModel(d, { backend: 'cpu' })).rejects.toThrow(/num_hidden_layers is 1000000000/);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('vision_config.num_hidden_layers 1e9 is refused, so the model manager never lists it (no "fits" estimate)', () => {
    const d = fresh();
    editConfig(d, (c) => { c.vision_config.num_hidden_layers = 1e9; });
    expect(() => loadCheckpoint(d)).toThrow(/vision_config\.num_hidden_layers is 1000000000 but the weights hold 2 vision-tower layers/);
    expect(() => describeModelFolder(d, 'local')).toThrow(/vision_config\.num_hidden_layers/);
  });

  it('every other dimension is checked against a tensor that carries it', () => {
    const cases: [string, (c: Json) => void, RegExp][] = [
      ['vocab', (c) => { c.text_config.vocab_size = 2 ** 30; }, /text_config\.vocab_size .* language_model\.embed_tokens\.weight/],
      ['hidden', (c) => { c.text_config.hidden_size = 1 << 20; c.text_config.num_attention_heads = 4; }, /text_config\.hidden_size/],
      ['intermediate', (c) => { c.text_config.intermediate_size = 1e9; }, /text_config\.intermediate_size/],
      ['kv heads', (c) => { c.text_config.num_key_value_heads = 4; }, /text_config\.num_key_value_heads/],
      ['vision hidden', (c) => { c.vision_config.hidden_size = 1 << 20; }, /vision_config\.hidden_size/],
      ['vision mlp', (c) => { c.vision_config.intermediate_size = 1e9; }, /vision_config\.intermediate_size/],
      ['image size', (c) => { c.vision_config.image_size = 1 << 20; }, /vision_config\.image_size/],
    ];
    for (const [what, edit, re] of cases) {
      const d = fresh();
      editConfig(d, edit);
      expect(() => loadCheckpoint(d), what).toThrow(re);
    }
  });

  it('fractional or out-of-vocabulary token ids are refused', () => {
    const d = fresh();
    editConfig(d, (c) => { c.video_token_id = 261.5; });
    expect(() => loadCheckpoint(d)).toThrow(/video_token_id must be an integer token id .* got 261\.5/);
    const e = fresh();
    editConfig(e, (c) => { c.image_token_id = 10 ** 9; });
    expect(() => loadCheckpoint(e)).toThrow(/image_token_id 1000000000 is outside the vocabulary/);
    const g = fresh();
    editJson(join(g, 'generation_config.json'), (j) => { j.eos_token_id = [0.5]; });
    expect(() => loadCheckpoint(g)).toThrow(/generation_config\.json: eos_token_id must be an integer token id .* got 0\.5/);
  });

  it('text_config / vision_config null is an error, not 7B defaults', () => {
    const d = fresh();
    editConfig(d, (c) => { c.text_config = null; });
    expect(() => loadCheckpoint(d)).toThrow(/config\.json: text_config is null; it must be an object/);
    const e = fresh();
    editConfig(e, (c) => { c.vision_config = [1]; });
    expect(() => loadCheckpoint(e)).toThrow(/config\.json: vision_config must be an object/);
  });

  it('the preprocessor size must be the vision tower\'s image_size (no 4096x4096 frames decoded)', () => {
    const d = fresh();
    for (const f of ['preprocessor_config.json', 'video_preprocessor_config.json']) {
      editJson(join(d, f), (j) => { j.size = { height: 4096, width: 4096 }; });
    }
    expect(() => loadCheckpoint(d)).toThrow(/video_preprocessor_config\.json.*4096x4096.*image_size 32/);
  });
});

describe('the weight index and safetensors headers', () => {
  it('shard names escaping the model folder are refused, and nothing outside is opened', () => {
    const d = fresh({ shards: 2 });
    const outside = join(tmp, 'outside.safetensors');
    rawSafetensors(outside, '{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4);
    for (const shard of ['../outside.safetensors', '/etc/passwd', 'sub/../../outside.safetensors']) {
      editJson(join(d, 'model.safetensors.index.json'), (j) => { j.weight_map['image_newline'] = shard; });
      expect(() => loadCheckpoint(d), shard).toThrow(/model\.safetensors\.index\.json: shard ".*" is not a file inside the model folder/);
    }
  });

  it('a weight_map that is not an object of file names is refused', () => {
    const d = fresh({ shards: 2 });
    const index = join(d, 'model.safetensors.index.json');
    editJson(index, (j) => { j.weight_map = [1]; });
    expect(() => loadCheckpoint(d)).toThrow(/index\.json: weight_map must be an object mapping tensor names to shard files/);
    editJson(index, (j) => { j.weight_map = { a: 1 }; });
    expect(() => loadCheckpoint(d)).toThrow(/weight_map\["a"\] must be a shard file name, got 1/);
  });

  it('a tensor named twice in one header is refused (not "last wins")', () => {
    const p = join(tmp, 'dup.safetensors');
    rawSafetensors(p, '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8);
    expect(() => new SafetensorsFile(p)).toThrow(/dup\.safetensors: tensor "a" appears twice in the header/);
  });

  it('fractional or negative shapes are refused even when the byte count adds up', () => {
    const p = join(tmp, 'frac.safetensors');
    rawSafetensors(p, '{"a":{"dtype":"F32","shape":[0.5,8],"data_offsets":[0,16]}}', 16);
    expect(() => new SafetensorsFile(p)).toThrow(/frac\.safetensors: tensor "a": shape \[0\.5,8\] must be non-negative integers/);
    rawSafetensors(p, '{"a":{"dtype":"F32","shape":[-2,-2],"data_offsets":[0,16]}}', 16);
    expect(() => new SafetensorsFile(p)).toThrow(/shape \[-2,-2\] must be non-negative integers/);
  });

  it('a deeply nested header gives an error naming the file (no stack overflow)', () => {
    const p = join(tmp, 'deep.safetensors');
    const depth = 200_000;
    rawSafetensors(p, `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    expect(() => new SafetensorsFile(p)).toThrow(/deep\.safetensors: .*nested/);
  });

  it('model.safetensors being a directory names the path', () => {
    const d = fresh();
    unlinkSync(join(d, 'model.safetensors'));
    mkdirSync(join(d, 'model.safetensors'));
    expect(() => loadCheckpoint(d)).toThrow(/model\.safetensors: not a file \(it is a directory\)/);
  });
});
