// Decode-path parity on a real checkpoint: the logits of a question prefill and of 6 decode steps (same forced
// tokens) on the CUDA backend in bf16 with KernelConfig.gemv = off (cuBLAS) / on / fused, against the CUDA f32 mode
// (exact path, itself checked against the CPU backend and HF by kernels_parity.ts; the GPU machine has no
// onnxruntime). Also prints the greedy tokens of ChatSession.ask (device argmax in fused mode). Exit 1 when a
// tolerance is missed.
// Usage: npx tsx scripts/gpu/decode_parity.ts MODEL_DIR [FRAMES]
import { loadModel, type LoadedModel } from '../../engine/core/models/load-model.ts';
import { ChatSession } from '../../engine/core/session/chat-session.ts';
import { argmax } from '../../engine/core/session/sampling.ts';
import type { GemvMode } from '../../engine/core/backend/cuda/kernel-config.ts';

const [dir, framesArg] = process.argv.slice(2);
if (!dir) throw new Error('usage: decode_parity.ts MODEL_DIR [FRAMES]');
const F = Number(framesArg ?? 2), STEPS = 6, Q = 'What is shown in the video?';

async function run(dtype: 'f32' | 'bf16', gemv: GemvMode, forced: number[] | null) {
  const m: LoadedModel = await loadModel(dir, { backend: 'cuda', kernels: { dtype, gemv } });
  const S = m.config.vision.imageSize;
  const video = { pixelValues: Float32Array.from({ length: F * 3 * S * S }, (_, i) => Math.sin(i * 0.013)), frames: F,
    frameTimes: Array.from({ length: F }, (_, i) => i), durationSec: F };
  const s = await ChatSession.create(m, video);
  const tokens: number[] = [];
  const rows = s.stepLogits(s.builder!.turnIds(s.prompt, Q), STEPS, (logits, k) => {
    const id = forced ? forced[k] : argmax(logits);
    tokens.push(id);
    return id;
  });
  const greedy = await s.ask(Q, { maxNewTokens: STEPS });
  s.dispose();
  return { rows, tokens, greedy: greedy.tokenIds, device: m.backend.device };
}

let failed = 0;
const cpu = await run('f32', 'off', null);  // the reference ("cpu" below: the exact f32 path)
for (const gemv of ['off', 'on', 'fused'] as const) {
  const g = await run('bf16', gemv, cpu.tokens);
  let worst = 0;
  g.rows.forEach((r, i) => {
    let num = 0, den = 0;
    for (let v = 0; v < r.length; v++) {
      const d = Math.abs(r[v] - cpu.rows[i][v]);
      num = Number.isNaN(d) ? Infinity : Math.max(num, d);
      den = Math.max(den, Math.abs(cpu.rows[i][v]));
    }
    worst = Math.max(worst, num / den);
  });
  const ok = worst < 2e-2;
  if (!ok) failed++;
  console.log(`${ok ? 'PASS' : 'FAIL'} decode parity cuda-bf16 gemv=${gemv} vs cuda-f32, prefill + ${STEPS} steps: max|d|/max|ref| = ${worst.toExponential(2)} (tol 2e-2), ${g.device}`);
  // Greedy tokens: equal until a step whose top-2 margin is within bf16 noise (informational).
  let same = 0;
  while (same < Math.min(g.greedy.length, cpu.greedy.length) && g.greedy[same] === cpu.greedy[same]) same++;
  console.log(`INFO greedy tokens gemv=${gemv}: ${g.greedy.join(',')} vs f32 ${cpu.greedy.join(',')} (first ${same} equal)`);
}
process.exitCode = failed ? 1 : 0;
