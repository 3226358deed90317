// A 16-bit LLaVA-OneVision folder -> a 4-bit copy in the AutoAWQ "gemm" layout: the language model's linears
// quantized (AWQ or round-to-nearest, layer by layer), everything else (vision tower, projector, embeddings, norms,
// lm_head) copied as it is (norms with AWQ's scales folded in), config.json with quantization_config.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packAwq } from '../checkpoint/awq-layout.ts';
import { loadCheckpoint, readJsonFile } from '../checkpoint/load.ts';
import { hfName } from '../checkpoint/make-checkpoint.ts';
import { CheckpointWeights } from '../checkpoint/weights.ts';
import type { TensorToWrite } from '../checkpoint/safetensors.ts';
import type { Backend, DType } from '../backend/backend.ts';
import { f32ToBf16, f32ToF16 } from '../backend/dtype.ts';
import { awqQuantizationConfig, checkGroupSize } from './awq-config.ts';
import { gatherActivations, type CalibrationOptions } from './calibration.ts';
import { readLayer } from './read-layer.ts';
import { GROUP_KINDS, groupKey, layerNames, LINEARS, valueChannelOf } from './qwen2-groups.ts';
import { QuantizedFolderWriter, weightFileBytes } from './quantized-writer.ts';
import { quantizeLayer, type LinearReport, type QuantMethod } from './quantize-layer.ts';

export type QuantizeStage = 'calibrate' | 'quantize' | 'write';

export interface QuantizeModelOptions {
  method: QuantMethod;
  groupSize: number;
  clip: boolean;
  calibration: Omit<CalibrationOptions, 'signal' | 'onProgress'>;
  backend: Backend;
  signal?: AbortSignal;
  onProgress?: (stage: QuantizeStage, done: number, total: number) => void;
}

export interface QuantizeReport {
  model: string;
  out: string;
  method: QuantMethod;
  groupSize: number;
  clip: boolean;
  backend: string;
  calibration: { sources: string[]; frames: number; rowsKept: number; rowsSeen: number };
  layers: { layer: number; linears: LinearReport[] }[];
  /** Bytes of the weight files before and after. */
  bytesBefore: number;
  bytesAfter: number;
  seconds: number;
}

const ST: Record<DType, TensorToWrite['dtype']> = { f32: 'F32', f16: 'F16', bf16: 'BF16' };

/** f32 values back in a 16/32-bit dtype (a folded norm keeps its file's dtype). */
export function encode(v: Float32Array, dtype: DType): TensorToWrite {
  return { dtype: ST[dtype], shape: [v.length], data: dtype === 'f32' ? v : dtype === 'bf16' ? f32ToBf16(v) : f32ToF16(v) };
}

export async function quantizeModel(src: string, out: string, opts: QuantizeModelOptions): Promise<QuantizeReport> {
  const t0 = performance.now();
  const raw = existsSync(join(src, 'config.json')) ? readJsonFile(join(src, 'config.json')) : {};
  if (raw.quantization_config !== undefined || (raw.text_config as Record<string, unknown> | undefined)?.quantization_config !== undefined) {
    throw new Error(`${src}: already quantized (config.json has quantization_config); start from the 16-bit model`);
  }
  const ck = loadCheckpoint(src);
  ck.weights.close();
  const text = ck.config.text;
  checkGroupSize(text, opts.groupSize);
  const writer = new QuantizedFolderWriter(out);
  let weights: CheckpointWeights | null = null;
  try {
    const cal = await gatherActivations(src, opts.backend, {
      ...opts.calibration, signal: opts.signal, onProgress: (d, n) => opts.onProgress?.('calibrate', d, n),
    });
    weights = new CheckpointWeights(src);
    const w = weights;
    const done = new Set<string>();
    const layers: QuantizeReport['layers'] = [];
    const vch = valueChannelOf(text);
    opts.onProgress?.('quantize', 0, text.layers);
    for (let i = 0; i < text.layers; i++) {
      opts.signal?.throwIfAborted();
      const names = layerNames(text, i);
      const { weights: lw, dtypes } = readLayer(w, names, done);
      const acts = Object.fromEntries(GROUP_KINDS.map((k) => [k, cal.activations.get(groupKey(i, k))!]));
      const q = quantizeLayer(lw, acts as Parameters<typeof quantizeLayer>[1], {
        be: opts.backend, method: opts.method, groupSize: opts.groupSize, clip: opts.clip, valueChannelOf: vch, valueDim: text.kvHeads * text.headDim,
      });
      for (const n of LINEARS) {
        const l = names.linears[n], prefix = hfName(l.weight).replace(/\.weight$/, '');
        const p = packAwq(q.linears[n].q);
        writer.add(`${prefix}.qweight`, { dtype: 'I32', shape: [p.in, p.out / 8], data: p.qweight });
        writer.add(`${prefix}.qzeros`, { dtype: 'I32', shape: [p.in / p.groupSize, p.out / 8], data: p.qzeros });
        writer.add(`${prefix}.scales`, { dtype: 'F16', shape: [p.in / p.groupSize, p.out], data: p.scales });
        const b = q.linears[n].bias;
        if (b) writer.add(hfName(l.bias!), { dtype: 'F16', shape: [b.length], data: f32ToF16(b) });
      }
      writer.add(hfName(names.inputNorm), encode(q.inputNorm, dtypes.norm));
      writer.add(hfName(names.postNorm), encode(q.postNorm, dtypes.norm));
      layers.push({ layer: i, linears: q.reports });
      opts.onProgress?.('quantize', i + 1, text.layers);
    }
    const rest = w.names().filter((n) => !done.has(n));
    for (const [k, n] of rest.entries()) {
      opts.signal?.throwIfAborted();
      const t = w.get(n);
      writer.add(hfName(n), { dtype: ST[t.dtype], shape: t.shape, data: t.bytes });
      opts.onProgress?.('write', k + 1, rest.length);
    }
    writer.json('config.json', { ...ck.rawConfig, quantization_config: awqQuantizationConfig(opts.groupSize) });
    writer.copySideFiles(src, ['config.json']);
    writer.finish();
    return {
      model: src, out, method: opts.method, groupSize: opts.groupSize, clip: opts.method === 'awq' && opts.clip,
      backend: opts.backend.device,
      calibration: { sources: [...cal.videos], frames: opts.calibration.frames, rowsKept: cal.rowsKept, rowsSeen: cal.rowsSeen },
      layers, bytesBefore: weightFileBytes(src), bytesAfter: weightFileBytes(out), seconds: (performance.now() - t0) / 1000,
    };
  } catch (err) {
    writer.abort();
    throw err;
  } finally {
    weights?.close();
  }
}
