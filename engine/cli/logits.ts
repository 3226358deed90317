// sparsevila logits --model DIR --inputs IN.safetensors --out OUT.safetensors [--backend cpu|cuda]
// IN (LLaVA-OneVision): input_ids int64 [1,T] (video token repeated once per video feature token), pixel_values_videos
// float32 [1,F,3,H,W]. IN (Qwen2.5-VL / Qwen3-VL): HF's processor keys (qwen-vl-inputs.ts).
// OUT: logits float32 [1,T,V]. The HF-parity interface: keep it stable.
import { SafetensorsFile, writeSafetensors } from '../core/checkpoint/safetensors.ts';
import { loadModel } from '../core/models/load-model.ts';
import { hostToF32 } from '../core/backend/dtype.ts';
import { checkIdsInVocab, tokenIdsFromBytes } from '../core/checkpoint/token-ids.ts';
import { BACKENDS, oneOf, parseCommandArgs, str, UsageError, visionPrecision, wantsHelp, type CommandOptions } from './args.ts';
import { createBackend } from '../core/backend/create-backend.ts';
import { isQwenVlFolder, loadQwenVl } from '../core/models/load-qwen-vl.ts';
import { readQwenVlInputs } from './qwen-vl-inputs.ts';

export const LOGITS_HELP = 'sparsevila logits --model DIR --inputs IN.safetensors --out OUT.safetensors [--backend cpu|cuda|auto] [--vision-bits 16|8]';
/** Shared with `saliency`, which reads the same inputs. */
export const MODEL_INPUT_OPTIONS: CommandOptions = { strings: ['model', 'inputs', 'out', 'backend'] };
export const LOGITS_OPTIONS: CommandOptions = { strings: [...MODEL_INPUT_OPTIONS.strings, 'vision-bits'] };

export function readLogitsInputs(path: string): { ids: Int32Array; pixels: Float32Array | null; frames: number } {
  const f = new SafetensorsFile(path);
  try {
    const idInfo = f.tensors.get('input_ids');
    if (!idInfo) throw new UsageError(`${path}: no "input_ids" tensor`);
    if (idInfo.dtype !== 'I64' && idInfo.dtype !== 'I32') throw new UsageError(`${path}: input_ids must be int64 (got ${idInfo.dtype})`);
    if (idInfo.shape.length !== 2 || idInfo.shape[0] !== 1) throw new UsageError(`${path}: input_ids must be [1, T] (got ${JSON.stringify(idInfo.shape)})`);
    const ids = tokenIdsFromBytes(f.readBytes('input_ids'), idInfo.dtype, idInfo.shape[1], `${path}: input_ids`);
    const pv = f.tensors.get('pixel_values_videos');
    if (!pv) return { ids, pixels: null, frames: 0 };
    if (pv.shape.length !== 5 || pv.shape[0] !== 1) throw new UsageError(`${path}: pixel_values_videos must be [1, F, 3, H, W] (got ${JSON.stringify(pv.shape)})`);
    const dt = pv.dtype === 'F32' ? 'f32' : pv.dtype === 'F16' ? 'f16' : pv.dtype === 'BF16' ? 'bf16' : null;
    if (!dt) throw new UsageError(`${path}: pixel_values_videos must be float (got ${pv.dtype})`);
    const pixels = hostToF32({ dtype: dt, shape: pv.shape, bytes: f.readBytes('pixel_values_videos') });
    return { ids, pixels, frames: pv.shape[1] };
  } finally {
    f.close();
  }
}

export async function logitsCommand(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) { console.log(LOGITS_HELP); return 0; }
  const a = parseCommandArgs(argv, LOGITS_OPTIONS, LOGITS_HELP);
  const modelDir = str(a, 'model', true)!;
  const inputs = str(a, 'inputs', true)!;
  const out = str(a, 'out', true)!;
  const backend = oneOf(a, 'backend', BACKENDS, 'auto');
  const vision = visionPrecision(a);
  if (isQwenVlFolder(modelDir)) {
    if (vision !== '16bit') throw new UsageError('--vision-bits 8 is implemented for LLaVA-OneVision models only', LOGITS_HELP);
    return qwenVlLogits(modelDir, inputs, out, backend);
  }
  const { ids, pixels, frames } = readLogitsInputs(inputs);
  const m = await loadModel(modelDir, { backend, visionPrecision: vision });
  checkIdsInVocab(ids, m.config.text.vocabSize, `${inputs}: input_ids`);
  const logits = m.model.logits(ids, pixels, frames);
  const V = m.config.text.vocabSize;
  writeSafetensors(out, { logits: { dtype: 'F32', shape: [1, ids.length, V], data: logits } });
  m.dispose();
  return 0;
}

async function qwenVlLogits(modelDir: string, inputs: string, out: string, backend: (typeof BACKENDS)[number]): Promise<number> {
  const be = await createBackend(backend);
  const model = loadQwenVl(modelDir, be);
  const { prompt, pixels } = readQwenVlInputs(inputs, model.config.videoTokenId);
  const V = model.config.text.vocabSize;
  checkIdsInVocab(prompt.ids, V, `${inputs}: input_ids`);
  const video = pixels ? model.encodeVideo(pixels, prompt.grids) : null;
  const logits = model.logits(prompt, video);
  if (video) for (const t of [video.features, ...(video.deepstack ?? [])]) be.dispose(t);
  writeSafetensors(out, { logits: { dtype: 'F32', shape: [1, prompt.ids.length, V], data: logits } });
  return 0;
}
