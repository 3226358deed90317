// sparsevila saliency --model DIR --inputs IN.safetensors --out OUT.safetensors [--backend cpu|cuda|auto]
// Same inputs as `logits`. OUT: patch_saliency float32 [F, grid²] (mean attention each patch receives in the SigLIP
// layer feeding the projector) and token_saliency float32 [F·pooled²] (the same map pooled like the video features;
// the trailing image_newline token has no score: it is always kept).
import { writeSafetensors } from '../core/checkpoint/safetensors.ts';
import { videoGeometry } from '../core/models/llava-onevision-config.ts';
import { loadModel } from '../core/models/load-model.ts';
import { PatchSaliencyCollector } from '../core/sparse/saliency.ts';
import { tokenSaliencyFromPatches } from '../core/sparse/tokenSaliency.ts';
import { BACKENDS, oneOf, parseCommandArgs, str, UsageError, wantsHelp } from './args.ts';
import { MODEL_INPUT_OPTIONS, readLogitsInputs } from './logits.ts';

export const SALIENCY_HELP = 'sparsevila saliency --model DIR --inputs IN.safetensors --out OUT.safetensors [--backend cpu|cuda|auto]';

export async function saliencyCommand(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) { console.log(SALIENCY_HELP); return 0; }
  const a = parseCommandArgs(argv, MODEL_INPUT_OPTIONS, SALIENCY_HELP);
  const modelDir = str(a, 'model', true)!;
  const inputs = str(a, 'inputs', true)!;
  const out = str(a, 'out', true)!;
  const backend = oneOf(a, 'backend', BACKENDS, 'auto');
  const { pixels, frames } = readLogitsInputs(inputs);
  if (!pixels) throw new UsageError(`${inputs}: no "pixel_values_videos" tensor (saliency needs the video)`);
  const m = await loadModel(modelDir, { backend });
  try {
    const { grid } = videoGeometry(m.config);
    const v = m.config.vision;
    const collector = new PatchSaliencyCollector(m.backend, m.model.saliencyLayer, v.heads, v.headDim, grid * grid);
    const enc = m.model.encodeVideo(pixels, frames, { onFrameQK: (_f, _l, q, k) => collector.add(q, k) });
    m.backend.dispose(enc.tokens);
    const patch = collector.result();
    const token = tokenSaliencyFromPatches(patch, frames, grid, grid);
    writeSafetensors(out, {
      patch_saliency: { dtype: 'F32', shape: [frames, grid * grid], data: patch },
      token_saliency: { dtype: 'F32', shape: [token.length], data: token },
    });
  } finally {
    m.dispose();
  }
  return 0;
}
