// Reference vision features for scripts/gpu/vision_check.ts: the CPU backend's projected + pooled video features
// (`video_features` [frames * tokensPerFrame, D], no image_newline row, as in the HF fixtures) of a checkpoint.
// Usage: npx tsx scripts/gpu/vision_features.ts MODEL_DIR INPUTS.safetensors OUT.safetensors
import { writeSafetensors } from '../../engine/core/checkpoint/safetensors.ts';
import { readLogitsInputs } from '../../engine/cli/logits.ts';
import { loadModel } from '../../engine/core/models/load-model.ts';

const [dir, inputs, out] = process.argv.slice(2);
if (!dir || !inputs || !out) throw new Error('usage: vision_features.ts MODEL_DIR INPUTS OUT');
const { pixels, frames } = readLogitsInputs(inputs);
if (!pixels) throw new Error(`${inputs} has no pixel values`);
const m = await loadModel(dir, { backend: 'cpu' });
const enc = m.model.encodeVideo(pixels, frames);
const rows = frames * enc.tokensPerFrame, D = m.config.text.hiddenSize;
const data = m.backend.toHost(enc.tokens).slice(0, rows * D);
writeSafetensors(out, { video_features: { dtype: 'F32', shape: [rows, D], data } });
console.log(`wrote ${out}: video_features [${rows}, ${D}] (${frames} frames, CPU backend)`);
