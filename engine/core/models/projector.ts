// LLaVA-OneVision multimodal projector (linear -> GELU -> linear) and its video pooling (bilinear to ceil(grid/2)).
import type { Backend, Linear, Tensor } from '../backend/backend.ts';
import type { GeluKind } from './config-fields.ts';
import type { LlavaOnevisionConfig } from './llava-onevision-config.ts';
import type { WeightSource } from '../checkpoint/weights.ts';
import { linearSpec, loadTensors } from './tensor-spec.ts';

/** linear_1 [D, vision hidden × feature layers] and linear_2 [D, D], biases when multimodal_projector_bias. */
export function projectorTensors(cfg: LlavaOnevisionConfig) {
  const D = cfg.text.hiddenSize, inD = cfg.vision.hiddenSize * cfg.featureLayers.length;
  return {
    linear1: linearSpec('multi_modal_projector.linear_1', D, inD, cfg.projectorBias),
    linear2: linearSpec('multi_modal_projector.linear_2', D, D, cfg.projectorBias),
  };
}

export class Projector {
  private constructor(private be: Backend, private act: GeluKind, private linear1: Linear, private linear2: Linear) {}

  static load(be: Backend, src: WeightSource, cfg: LlavaOnevisionConfig): Projector {
    const t = loadTensors(be, src, projectorTensors(cfg));
    return new Projector(be, cfg.projectorAct, t.linear1, t.linear2);
  }

  /** LlavaOnevisionMultiModalProjector: linear_2(act(linear_1(x))). */
  forward(x: Tensor): Tensor {
    const be = this.be;
    const a = be.layerOps.linearGelu(x, this.linear1, this.act);
    const o = be.linear(a, this.linear2.w, this.linear2.b);
    be.dispose(a);
    return o;
  }
}

/** HF apply_pooling: per frame, the grid×grid feature map resized bilinearly (align_corners=False) to ceil(grid/2)². */
export function poolVideoFeatures(be: Backend, x: Tensor, frames: number, grid: number): Tensor {
  const o = Math.ceil(grid / 2);
  return be.bilinearResize(x, frames, grid, grid, o, o);
}
