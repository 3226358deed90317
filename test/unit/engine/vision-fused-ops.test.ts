// The vision tower's fused kernels (FusedLayerOps on VisionKernels: patchify, linearGelu, linearAdd) change no numbers:
// a CPU backend that has them (plain reference implementations here) gives the same video features as the CPU
// backend's plain LayerOps, and both match HF's get_video_features on the committed fixture.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Backend, Tensor } from '../../../engine/core/backend/backend.ts';
import { CpuBackend } from '../../../engine/core/backend/cpu/cpu-backend.ts';
import { FusedLayerOps, type VisionKernels } from '../../../engine/core/backend/fused-layer-ops.ts';
import { loadCheckpoint } from '../../../engine/core/checkpoint/load.ts';
import { SafetensorsFile } from '../../../engine/core/checkpoint/safetensors.ts';
import { readLogitsInputs } from '../../../engine/cli/logits.ts';
import { LlavaOnevision } from '../../../engine/core/models/llava-onevision.ts';

const DIR = join(import.meta.dirname, '../../fixtures/hf-parity/a-single');

/** CpuBackend with vision kernels, each written independently of the model code, counting their calls. */
function withOptionalOps(be: CpuBackend, calls: Record<string, number>): Backend {
  const ext = Object.create(be) as Backend;
  const vision: VisionKernels = {
    patchify: (pixels: Tensor, frames: number, C: number, S: number, p: number) => {
      calls.patchify = (calls.patchify ?? 0) + 1;
      const px = be.toHost(pixels), g = Math.floor(S / p);
      const out = new Float32Array(frames * g * g * C * p * p);
      let o = 0;
      for (let f = 0; f < frames; f++) for (let py = 0; py < g; py++) for (let qx = 0; qx < g; qx++)
        for (let c = 0; c < C; c++) for (let ky = 0; ky < p; ky++) for (let kx = 0; kx < p; kx++)
          out[o++] = px[((f * C + c) * S + py * p + ky) * S + qx * p + kx];
      return be.fromHost(out, [frames * g * g, C * p * p]);
    },
    linearGelu: (x, w, b, kind) => {
      calls.linearGelu = (calls.linearGelu ?? 0) + 1;
      const h = be.linear(x, w, b);
      return be.gelu(h, kind);
    },
    linearAdd: (x, w, b, residual) => {
      calls.linearAdd = (calls.linearAdd ?? 0) + 1;
      return be.add(residual, be.linear(x, w, b));
    },
  };
  Object.defineProperty(ext, 'layerOps', { value: new FusedLayerOps(ext, { decode: null, prefill: null, vision }) });
  return ext;
}

function features(be: Backend): Float32Array {
  const ck = loadCheckpoint(DIR + '/model');
  try {
    const m = LlavaOnevision.load(be, ck.weights, ck.config);
    const { pixels, frames } = readLogitsInputs(join(DIR, 'inputs.safetensors'));
    const enc = m.encodeVideo(pixels!, frames);
    return be.toHost(enc.tokens).slice(0, frames * enc.tokensPerFrame * ck.config.text.hiddenSize);
  } finally {
    ck.weights.close();
  }
}

describe('vision tower optional ops', () => {
  it('give the same features as the plain path, and both match HF', () => {
    const calls: Record<string, number> = {};
    const plain = features(new CpuBackend({ threads: 1 }));
    const fused = features(withOptionalOps(new CpuBackend({ threads: 1 }), calls));
    expect(calls.patchify).toBeGreaterThan(0);
    expect(calls.linearGelu).toBeGreaterThan(0);
    expect(calls.linearAdd).toBeGreaterThan(0);
    let d = 0;
    for (let i = 0; i < plain.length; i++) d = Math.max(d, Math.abs(plain[i] - fused[i]));
    expect(d).toBe(0);
    const f = new SafetensorsFile(join(DIR, 'reference.safetensors'));
    const ref = new Float32Array(f.readBytes('video_features').buffer.slice(0));
    f.close();
    let num = 0, den = 0;
    for (let i = 0; i < ref.length; i++) { num = Math.max(num, Math.abs(fused[i] - ref[i])); den = Math.max(den, Math.abs(ref[i])); }
    expect(num / den).toBeLessThan(1e-4);
  });
});
