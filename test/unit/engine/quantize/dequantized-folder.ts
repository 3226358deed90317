// A quantized folder turned back into a plain float32 one (every qweight/qzeros/scales triple dequantized with the
// layout codec), so the normal loader can run exactly what the 4-bit file holds.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dequantizeAwq, unpackAwq } from '../../../../engine/core/checkpoint/awq-layout.ts';
import { SafetensorsFile, writeSafetensors, type TensorToWrite } from '../../../../engine/core/checkpoint/safetensors.ts';

export function dequantizedFolder(src: string, dst: string): void {
  mkdirSync(dst, { recursive: true });
  const f = new SafetensorsFile(join(src, 'model.safetensors'));
  const cfg = JSON.parse(readFileSync(join(src, 'config.json'), 'utf8'));
  const groupSize = cfg.quantization_config.group_size;
  const out: Record<string, TensorToWrite> = {};
  const words = (n: string) => { const b = f.readBytes(n); return new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
  for (const [name, info] of f.tensors) {
    if (name.endsWith('.qzeros') || name.endsWith('.scales')) continue;
    if (name.endsWith('.qweight')) {
      const p = name.slice(0, -'.qweight'.length);
      const [inF, packed] = info.shape;
      const sb = f.readBytes(`${p}.scales`);
      const w = dequantizeAwq(unpackAwq({
        out: packed * 8, in: inF, groupSize, qweight: words(name), qzeros: words(`${p}.qzeros`),
        scales: new Uint16Array(sb.buffer, sb.byteOffset, sb.byteLength / 2),
      }));
      out[`${p}.weight`] = { dtype: 'F32', shape: [packed * 8, inF], data: w };
    } else {
      out[name] = { dtype: info.dtype, shape: info.shape, data: f.readBytes(name) };
    }
  }
  f.close();
  writeSafetensors(join(dst, 'model.safetensors'), out);
  delete cfg.quantization_config;
  writeFileSync(join(dst, 'config.json'), JSON.stringify(cfg));
  for (const file of readdirSync(src)) if (file !== 'config.json' && !file.endsWith('.safetensors')) copyFileSync(join(src, file), join(dst, file));
}
