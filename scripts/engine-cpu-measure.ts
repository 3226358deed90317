// Dense CPU timings at a preset geometry with synthetic weights: vision per frame, LLM prefill of the 8-frame prompt
// length, decode tokens/s. Usage: npx tsx scripts/engine-cpu-measure.ts [--preset 0.5b] [--frames 8] [--decode 16]
import { loadModel } from '../engine/core/models/load-model.ts';
import { videoTokenCount } from '../engine/core/models/llava-onevision-config.ts';
import { int, parseCommandArgs, str } from '../engine/cli/args.ts';
import type { PresetName } from '../engine/core/models/presets.ts';
import { loadavg } from 'node:os';
import { argmax } from '../engine/core/session/sampling.ts';

const a = parseCommandArgs(process.argv.slice(2), { strings: ['preset', 'frames', 'decode', 'vision-frames'] }, 'engine-cpu-measure.ts [--preset P] [--frames N] [--decode N] [--vision-frames N]');
const preset = (str(a, 'preset') ?? '0.5b') as PresetName;
const frames = int(a, 'frames', 8)!;
const decodeSteps = int(a, 'decode', 16)!;
const visionFrames = int(a, 'vision-frames', 1)!;
const m = await loadModel('', { backend: 'cpu', synthetic: preset });
const be = m.backend, cfg = m.config, llm = m.model.llm;
console.log(`${m.name} on ${be.device}; load ${(m.loadMs / 1000).toFixed(1)} s; loadavg ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);

const S = cfg.vision.imageSize;
const px = new Float32Array(visionFrames * 3 * S * S).map((_, i) => Math.sin(i * 0.001));
let t = performance.now();
const enc = m.model.encodeVideo(px, visionFrames);
const visionPerFrame = (performance.now() - t) / visionFrames;
be.dispose(enc.tokens);

const T = videoTokenCount(cfg, frames) + 90; // video tokens + template/time instruction/question text
const cache = llm.createCache(T + decodeSteps + 1);
const ids = Int32Array.from({ length: T }, (_, i) => (i * 7919) % 150000);
const x = llm.embed(ids);
t = performance.now();
const h = llm.forward(x, cache, { positions: Int32Array.from({ length: T }, (_, i) => i), at: 0, lastOnly: true });
const logits = be.toHost(llm.logits(h));
const prefillMs = performance.now() - t;
cache.length = T;
let id = argmax(logits);
console.log(`vision ${Math.round(visionPerFrame)} ms/frame, prefill ${T} tokens ${Math.round(prefillMs)} ms`);
t = performance.now();
for (let k = 0; k < decodeSteps; k++) {
  const e = llm.embed(Int32Array.of(id));
  const hh = llm.forward(e, cache, { positions: Int32Array.of(cache.length), at: cache.length, lastOnly: true });
  const l = be.toHost(llm.logits(hh));
  cache.length += 1;
  id = argmax(l) % 150000;
}
const decodeMs = performance.now() - t;
console.log(JSON.stringify({
  preset, frames, prompt_tokens: T, vision_ms_per_frame: Math.round(visionPerFrame),
  vision_ms_est: Math.round(visionPerFrame * frames), llm_prefill_ms: Math.round(prefillMs),
  decode_ms_per_token: Math.round(decodeMs / decodeSteps), decode_tokens_per_s: +(decodeSteps * 1000 / decodeMs).toFixed(2),
  loadavg_after: loadavg()[0].toFixed(1),
}));
