// A parsed config.json checked against the weight files before anything proportional to one of its dimensions is
// built: layer counts against the layers the weights hold, every width against a tensor that carries it, token ids
// against the vocabulary. Without this, num_hidden_layers 1e9 spins through a billion-entry tensor layout and aborts.
import { ConfigError } from '../models/config-fields.ts';
import { videoGeometry, type LlavaOnevisionConfig } from '../models/llava-onevision-config.ts';
import { projectorTensors } from '../models/projector.ts';
import { qwen2LayerTensors, qwen2Tensors, TEXT_PREFIX } from '../models/qwen2.ts';
import { siglipLayerTensors, siglipTensors, VISION_PREFIX } from '../models/siglip.ts';

/** What the check needs of a model's weights (by canonical name; see weights.ts). */
export interface WeightIndex {
  names(): string[];
  shapeOf(name: string): readonly number[] | undefined;
}

// Layer tensor names as the models declare them (qwen2.ts, siglip.ts): <prefix>layers.<i>.…
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const TEXT_LAYER = new RegExp(`^${escape(TEXT_PREFIX)}layers\\.(\\d+)\\.`);
const VISION_LAYER = new RegExp(`^${escape(VISION_PREFIX)}encoder\\.layers\\.(\\d+)\\.`);

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
  const { grid } = videoGeometry(cfg);
  // Names from the models' own declarations (layer 0 only: nothing proportional to a layer count is built here).
  const text = qwen2Tensors({ ...t, layers: 0 }), text0 = qwen2LayerTensors(t, 0);
  const vision = siglipTensors(v, 0), vision0 = siglipLayerTensors(v, 0), proj = projectorTensors(cfg);
  const expects: Expect[] = [
    [text.embed.name, [[t.vocabSize, 'text_config.vocab_size'], [t.hiddenSize, 'text_config.hidden_size']]],
    [text0.attn.q.w.name,
      [[t.heads * t.headDim, 'text_config.num_attention_heads × head_dim'], [t.hiddenSize, 'text_config.hidden_size']]],
    [text0.attn.k.w.name,
      [[t.kvHeads * t.headDim, 'text_config.num_key_value_heads × head_dim'], [t.hiddenSize, 'text_config.hidden_size']]],
    [text0.mlp.gate.w.name, [[t.intermediateSize, 'text_config.intermediate_size'], [t.hiddenSize, 'text_config.hidden_size']]],
    [vision.patch.w.name, [[v.hiddenSize, 'vision_config.hidden_size'], [v.channels, 'vision_config.num_channels'],
      [v.patchSize, 'vision_config.patch_size'], [v.patchSize, 'vision_config.patch_size']]],
    [vision.pos.name,
      [[grid * grid, 'vision_config.image_size / patch_size (patches per frame)'], [v.hiddenSize, 'vision_config.hidden_size']]],
    [vision0.fc1.w.name, [[v.intermediateSize, 'vision_config.intermediate_size'], [v.hiddenSize, 'vision_config.hidden_size']]],
    [proj.linear1.w.name,
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
