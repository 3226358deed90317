// The tensors a LlavaOnevisionForConditionalGeneration checkpoint holds, by canonical name (see checkpoint/weights.ts),
// with shapes implied by config.json. Used to validate loads, to write random checkpoints and for synthetic weights.
import type { LlavaOnevisionConfig } from '../checkpoint/config.ts';

export type InitKind = 'normal' | 'ones' | 'zeros' | 'small';
export interface TensorSpec {
  name: string;
  shape: number[];
  init: InitKind;
}

export const VISION_PREFIX = 'vision_tower.vision_model.';
export const TEXT_PREFIX = 'language_model.';

export function visionLayersNeeded(cfg: LlavaOnevisionConfig): number {
  return Math.max(...cfg.featureLayers);
}

export function tensorLayout(cfg: LlavaOnevisionConfig, opts: { allVisionLayers?: boolean } = {}): TensorSpec[] {
  const v = cfg.vision, t = cfg.text;
  const out: TensorSpec[] = [];
  const add = (name: string, shape: number[], init: InitKind) => out.push({ name, shape, init });
  const vp = VISION_PREFIX;
  add(`${vp}embeddings.patch_embedding.weight`, [v.hiddenSize, v.channels, v.patchSize, v.patchSize], 'normal');
  add(`${vp}embeddings.patch_embedding.bias`, [v.hiddenSize], 'small');
  const grid = Math.floor(v.imageSize / v.patchSize);
  add(`${vp}embeddings.position_embedding.weight`, [grid * grid, v.hiddenSize], 'normal');
  const vLayers = opts.allVisionLayers ? v.layers : visionLayersNeeded(cfg);
  for (let i = 0; i < vLayers; i++) {
    const p = `${vp}encoder.layers.${i}.`;
    add(`${p}layer_norm1.weight`, [v.hiddenSize], 'ones');
    add(`${p}layer_norm1.bias`, [v.hiddenSize], 'zeros');
    for (const n of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) {
      add(`${p}self_attn.${n}.weight`, [v.hiddenSize, v.hiddenSize], 'normal');
      add(`${p}self_attn.${n}.bias`, [v.hiddenSize], 'small');
    }
    add(`${p}layer_norm2.weight`, [v.hiddenSize], 'ones');
    add(`${p}layer_norm2.bias`, [v.hiddenSize], 'zeros');
    add(`${p}mlp.fc1.weight`, [v.intermediateSize, v.hiddenSize], 'normal');
    add(`${p}mlp.fc1.bias`, [v.intermediateSize], 'small');
    add(`${p}mlp.fc2.weight`, [v.hiddenSize, v.intermediateSize], 'normal');
    add(`${p}mlp.fc2.bias`, [v.hiddenSize], 'small');
  }
  if (opts.allVisionLayers) {
    add(`${vp}post_layernorm.weight`, [v.hiddenSize], 'ones');
    add(`${vp}post_layernorm.bias`, [v.hiddenSize], 'zeros');
  }
  const projIn = v.hiddenSize * cfg.featureLayers.length;
  add('multi_modal_projector.linear_1.weight', [t.hiddenSize, projIn], 'normal');
  if (cfg.projectorBias) add('multi_modal_projector.linear_1.bias', [t.hiddenSize], 'small');
  add('multi_modal_projector.linear_2.weight', [t.hiddenSize, t.hiddenSize], 'normal');
  if (cfg.projectorBias) add('multi_modal_projector.linear_2.bias', [t.hiddenSize], 'small');
  add('image_newline', [t.hiddenSize], 'normal');
  const tp = TEXT_PREFIX;
  add(`${tp}embed_tokens.weight`, [t.vocabSize, t.hiddenSize], 'normal');
  const qd = t.heads * t.headDim, kd = t.kvHeads * t.headDim;
  for (let i = 0; i < t.layers; i++) {
    const p = `${tp}layers.${i}.`;
    add(`${p}input_layernorm.weight`, [t.hiddenSize], 'ones');
    add(`${p}self_attn.q_proj.weight`, [qd, t.hiddenSize], 'normal');
    add(`${p}self_attn.q_proj.bias`, [qd], 'small');
    add(`${p}self_attn.k_proj.weight`, [kd, t.hiddenSize], 'normal');
    add(`${p}self_attn.k_proj.bias`, [kd], 'small');
    add(`${p}self_attn.v_proj.weight`, [kd, t.hiddenSize], 'normal');
    add(`${p}self_attn.v_proj.bias`, [kd], 'small');
    add(`${p}self_attn.o_proj.weight`, [t.hiddenSize, qd], 'normal');
    add(`${p}post_attention_layernorm.weight`, [t.hiddenSize], 'ones');
    add(`${p}mlp.gate_proj.weight`, [t.intermediateSize, t.hiddenSize], 'normal');
    add(`${p}mlp.up_proj.weight`, [t.intermediateSize, t.hiddenSize], 'normal');
    add(`${p}mlp.down_proj.weight`, [t.hiddenSize, t.intermediateSize], 'normal');
  }
  add(`${tp}norm.weight`, [t.hiddenSize], 'ones');
  if (!t.tieWordEmbeddings) add('lm_head.weight', [t.vocabSize, t.hiddenSize], 'normal');
  return out;
}
