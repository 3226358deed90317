// Writes a `sparsevila logits` input file for a checkpoint folder: input_ids [1, T] (a few text ids, the video
// placeholder once per video feature token, more text) and random pixel_values_videos [1, F, 3, S, S].
// Usage: npx tsx scripts/gpu/kernels_parity_inputs.ts MODEL_DIR FRAMES OUT.safetensors [SEED]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, videoTokenCount } from '../../engine/core/models/llava-onevision-config.ts';
import { writeSafetensors } from '../../engine/core/checkpoint/safetensors.ts';

const [dir, framesArg, out, seedArg] = process.argv.slice(2);
if (!dir || !framesArg || !out) throw new Error('usage: kernels_parity_inputs.ts MODEL_DIR FRAMES OUT.safetensors [SEED]');
const cfg = parseConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
const frames = Number(framesArg);
let s = Number(seedArg ?? 1) >>> 0 || 1;
const rand = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
const nVideo = videoTokenCount(cfg, frames);
const hi = Math.min(cfg.text.vocabSize, 5000);
const special = new Set([cfg.videoTokenId, cfg.imageTokenId]);
const textId = (): number => { for (;;) { const t = Math.floor(rand() * hi); if (!special.has(t)) return t; } };
const text = (n: number) => Array.from({ length: n }, textId);
const ids = [...text(5), ...Array(nVideo).fill(cfg.videoTokenId), ...text(9)];
const S = cfg.vision.imageSize;
const pixels = Float32Array.from({ length: frames * 3 * S * S }, () => rand() * 2 - 1);
writeSafetensors(out, {
  input_ids: { dtype: 'I64', shape: [1, ids.length], data: BigInt64Array.from(ids, (x) => BigInt(x)) },
  pixel_values_videos: { dtype: 'F32', shape: [1, frames, 3, S, S], data: pixels },
});
console.log(`wrote ${out}: ${ids.length} ids (${nVideo} video), ${frames} frames of ${S}x${S}`);
