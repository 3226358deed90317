// A parsed config.json checked against the weight files before anything proportional to one of its dimensions is
// built: layer counts against the layers the weights hold, every width against a tensor that carries it, token ids
// against the vocabulary. Without this, num_hidden_layers 1e9 spins through a billion-entry tensor layout and aborts.
import { ConfigError } from '../models/config-fields.ts';
import { videoGeometry, type LlavaOnevisionConfig } from '../models/llava-onevision-config.ts';

/** What the check needs of a model's weights (by canonical name; see weights.ts). */
export interface WeightIndex {
  names(): string[];
  shapeOf(name: string): readonly number[] | undefined;
}

const TEXT_LAYER = /^language_model\.layers\.(\d+)\./;
const VISION_LAYER = /^vision_tower\.vision_model\.encoder\.layers\.(\d+)\./;

function layersHeld(names: string[], re: RegExp): number {
  const held = new Set<string>();
  for (const n of names) {
    const m = re.exec(n);
    if (m) held.add(m[1]);
  }
  return held.size;
}

/** One tensor's expected shape, with the config.json field behind each of its dimensions. */
type Expect = [tensor: string, dims: [value: number, field: string][]];

export function checkConfigAgainstWeights(cfg: LlavaOnevisionConfig, weights: WeightIndex): void {
  const names = weights.names();
  const t = cfg.text, v = cfg.vision;
  const textHeld = layersHeld(names, TEXT_LAYER);
  if (t.layers > textHeld) {
    throw new ConfigError(`text_config.num_hidden_layers is ${t.layers} but the weights hold ${textHeld} language-model layers`);
  }
  const visionNeeded = Math.max(...cfg.featureLayers);
  const visionHeld = layersHeld(names, VISION_LAYER);
  if (visionNeeded > visionHeld) {
    const field = visionNeeded === v.layers ? `vision_config.num_hidden_layers is ${v.layers}` : `vision_feature_layer needs ${visionNeeded} layers`;
    throw new ConfigError(`${field} but the weights hold ${visionHeld} vision-tower layers`);
  }
  const vp = 'vision_tower.vision_model.';
  const { grid } = videoGeometry(cfg);
  const expects: Expect[] = [
    ['language_model.embed_tokens.weight', [[t.vocabSize, 'text_config.vocab_size'], [t.hiddenSize, 'text_config.hidden_size']]],
    ['language_model.layers.0.self_attn.q_proj.weight',
      [[t.heads * t.headDim, 'text_config.num_attention_heads × head_dim'], [t.hiddenSize, 'text_config.hidden_size']]],
    ['language_model.layers.0.self_attn.k_proj.weight',
      [[t.kvHeads * t.headDim, 'text_config.num_key_value_heads × head_dim'], [t.hiddenSize, 'text_config.hidden_size']]],
    ['language_model.layers.0.mlp.gate_proj.weight', [[t.intermediateSize, 'text_config.intermediate_size'], [t.hiddenSize, 'text_config.hidden_size']]],
    [`${vp}embeddings.patch_embedding.weight`, [[v.hiddenSize, 'vision_config.hidden_size'], [v.channels, 'vision_config.num_channels'],
      [v.patchSize, 'vision_config.patch_size'], [v.patchSize, 'vision_config.patch_size']]],
    [`${vp}embeddings.position_embedding.weight`,
      [[grid * grid, 'vision_config.image_size / patch_size (patches per frame)'], [v.hiddenSize, 'vision_config.hidden_size']]],
    [`${vp}encoder.layers.0.mlp.fc1.weight`, [[v.intermediateSize, 'vision_config.intermediate_size'], [v.hiddenSize, 'vision_config.hidden_size']]],
    ['multi_modal_projector.linear_1.weight',
      [[t.hiddenSize, 'text_config.hidden_size'], [v.hiddenSize * cfg.featureLayers.length, 'vision_config.hidden_size × feature layers']]],
  ];
  for (const [tensor, dims] of expects) {
    const shape = weights.shapeOf(tensor);
    if (!shape) throw new ConfigError(`the weights have no tensor "${tensor}" (needed to check config.json's sizes)`);
    const at = dims.findIndex(([value], i) => shape[i] !== value);
    if (shape.length !== dims.length || at >= 0) {
      const [value, field] = dims[Math.max(at, 0)];
      const implied = JSON.stringify(dims.map(([d]) => d));
      throw new ConfigError(`${field} is ${value}: ${tensor} has shape ${JSON.stringify(shape)} but config.json implies ${implied}`);
    }
  }
  for (const [id, field] of [[cfg.imageTokenId, 'image_token_id'], [cfg.videoTokenId, 'video_token_id']] as const) {
    const problem = tokenIdProblem(id, field, t.vocabSize);
    if (problem) throw new ConfigError(problem);
  }
}

/** Why a token id from a config file is not an integer in [0, vocab), or null when it is. */
export function tokenIdProblem(id: unknown, field: string, vocab: number): string | null {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) return `${field} must be an integer token id (0 or more), got ${JSON.stringify(id)}`;
  return id >= vocab ? `${field} ${id} is outside the vocabulary (${vocab} tokens)` : null;
}
