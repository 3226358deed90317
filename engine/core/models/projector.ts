// LLaVA-OneVision multimodal projector (linear -> GELU -> linear) and its video pooling (bilinear to ceil(grid/2)).
import type { Backend, Tensor } from '../backend/backend.ts';
import type { GeluKind, LlavaOnevisionConfig } from '../checkpoint/config.ts';
import type { WeightSource } from '../checkpoint/weights.ts';
import { linearGelu } from './linear-gelu.ts';

export class Projector {
  private constructor(private be: Backend, private act: GeluKind,
    private w1: Tensor, private b1: Tensor | undefined, private w2: Tensor, private b2: Tensor | undefined) {}

  static load(be: Backend, src: WeightSource, cfg: LlavaOnevisionConfig): Projector {
    const D = cfg.text.hiddenSize, inD = cfg.vision.hiddenSize * cfg.featureLayers.length;
    const w = (n: string, shape: number[]) => be.weight(src.get(`multi_modal_projector.${n}`, shape));
    return new Projector(be, cfg.projectorAct,
      w('linear_1.weight', [D, inD]), cfg.projectorBias ? w('linear_1.bias', [D]) : undefined,
      w('linear_2.weight', [D, D]), cfg.projectorBias ? w('linear_2.bias', [D]) : undefined);
  }

  forward(x: Tensor): Tensor {
    const be = this.be;
    const a = linearGelu(be, x, this.w1, this.b1, this.act);
    const o = be.linear(a, this.w2, this.b2);
    be.dispose(a);
    return o;
  }
}

/** HF apply_pooling: per frame, the grid×grid feature map resized bilinearly (align_corners=False) to ceil(grid/2)². */
export function poolVideoFeatures(be: Backend, x: Tensor, frames: number, grid: number): Tensor {
  const o = Math.ceil(grid / 2);
  return be.bilinearResize(x, frames, grid, grid, o, o);
}
