// The 8-bit (W8A8) SigLIP tower: SmoothQuant's folding keeps the function, the 8-bit tower of the trained toy model
// stays close to the 16-bit one (and really runs int8), and the settings that choose it refuse what they cannot do.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../../engine/core/backend/cpu/cpu-backend.ts';
import { loadModel, loadVlm } from '../../../engine/core/models/load-model.ts';
import { divide, scaleColumns, smoothingFactors } from '../../../engine/core/quantize/smooth-quant.ts';
import { syntheticVideo } from '../../../engine/core/quantize/synthetic-frames.ts';
import { loadPreprocessConfig } from '../../../engine/core/video/preprocess-config.ts';
import { parseCommandArgs, visionPrecision } from '../../../engine/cli/args.ts';
import { Settings, DEFAULT_SETTINGS } from '../../../electron/contract.ts';
import { seededRandom } from '../kernels/backend-ops-table.ts';

const TOY = 'assets/models/sparsevila-toy-shapes';

describe('SmoothQuant folding', () => {
  it('layerNorm(x; γ/s, β/s) · (W·diag(s))ᵀ = layerNorm(x; γ, β) · Wᵀ, and s follows α', () => {
    const rand = seededRandom(11), be = new CpuBackend({ threads: 1 }), H = 24, N = 10, M = 6;
    const g = rand(H, 1), b = rand(H, 0.5), w = rand(N * H, 0.3), x = rand(M * H, 3);
    const actMax = Float32Array.from(rand(H), (v) => Math.abs(v) * 20 + 0.1);
    const s = smoothingFactors(actMax, [w], 0.5);
    const up = (v: Float32Array, shape: number[]) => be.weight({ dtype: 'f32', shape, bytes: new Uint8Array(v.buffer) });
    const X = be.fromHost(x, [M, H]);
    const want = be.toHost(be.linear(be.layerNorm(X, up(g, [H]), up(b, [H]), 1e-6), up(w, [N, H])));
    const got = be.toHost(be.linear(be.layerNorm(X, up(divide(g, s), [H]), up(divide(b, s), [H]), 1e-6), up(scaleColumns(w, s), [N, H])));
    const scale = Math.max(...want.map(Math.abs));
    expect(Math.max(...got.map((v, i) => Math.abs(v - want[i])))).toBeLessThan(1e-5 * scale);
    // α = 1 moves the whole activation range into the weights: s = max|X|; α = 0: s = 1 / max|W|.
    expect(smoothingFactors(actMax, [w], 1)[3]).toBeCloseTo(actMax[3], 4);
    const wMax0 = Math.max(...Array.from({ length: N }, (_, n) => Math.abs(w[n * H])));
    expect(smoothingFactors(actMax, [w], 0)[0]).toBeCloseTo(1 / wMax0, 4);
    expect(() => smoothingFactors(actMax, [w], 1.5)).toThrow(/alpha must be in \[0, 1\]/);
  });
});

describe('8-bit vision tower (toy model, CPU)', () => {
  it('runs int8 linears and keeps the video tokens within 2% of the 16-bit tower', async () => {
    const m16 = await loadModel(TOY, { backend: 'cpu', threads: 1 });
    const m8 = await loadModel(TOY, { backend: 'cpu', threads: 1, visionPrecision: '8bit' });
    expect(m8.visionPrecision).toBe('8bit');
    expect([m16.name, m8.name]).toEqual(['sparsevila-toy-shapes', 'sparsevila-toy-shapes-vision8']);
    const L = m8.model.vision.layerWeights[0];
    expect([L.attn.q.w, L.attn.k.w, L.attn.v.w, L.attn.o.w, L.fc1.w, L.fc2.w].map((t) => t.dtype)).toEqual(Array(6).fill('i8'));
    expect(m16.model.vision.layerWeights[0].fc1.w.dtype).toBe('f32');
    const video = syntheticVideo(1000, 8, loadPreprocessConfig(TOY));
    const a = m16.backend.toHost(m16.model.encodeVideo(video.pixelValues, 8).tokens);
    const b = m8.backend.toHost(m8.model.encodeVideo(video.pixelValues, 8).tokens);
    let num = 0, den = 0;
    for (let i = 0; i < a.length; i++) { num += (a[i] - b[i]) ** 2; den += a[i] ** 2; }
    const rel = Math.sqrt(num / den);
    expect(rel).toBeGreaterThan(0); // int8 rounding is really there
    expect(rel).toBeLessThan(0.02);
  }, 60_000);

  it('is refused for Qwen-VL models and for unknown precisions', async () => {
    await expect(loadVlm('', { synthetic: 'qwen2.5-vl-tiny', visionPrecision: '8bit' })).rejects.toThrow(/SigLIP tower only/);
    await expect(loadModel(TOY, { backend: 'cpu', visionPrecision: '4bit' as never })).rejects.toThrow(/vision precision must be 16bit or 8bit/);
  });

  it('--vision-bits and the app setting: 16 by default, 8 on request, anything else refused', () => {
    const parse = (argv: string[]) => visionPrecision(parseCommandArgs(argv, { strings: ['vision-bits'] }, 'usage'));
    expect(parse([])).toBe('16bit');
    expect(parse(['--vision-bits', '8'])).toBe('8bit');
    expect(() => parse(['--vision-bits', '4'])).toThrow(/--vision-bits must be 16 or 8 \(got 4\)/);
    const { visionPrecision: _omitted, ...older } = DEFAULT_SETTINGS;
    expect(Settings.parse(older).visionPrecision).toBe('16bit');
    expect(Settings.safeParse({ ...DEFAULT_SETTINGS, visionPrecision: 'fp8' }).success).toBe(false);
  });
});
