// safetensors: round trip through our writer/reader, dtype conversions, and clear errors for malformed files.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SafetensorsFile, writeSafetensors } from '../../../engine/core/checkpoint/safetensors.ts';
import { f32ToBf16, f32ToF16, hostToF32 } from '../../../engine/core/backend/dtype.ts';

const tmp = mkdtempSync(join(tmpdir(), 'st-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function rawFile(name: string, header: string | null, data = new Uint8Array(0), lenOverride?: bigint): string {
  const h = Buffer.from(header ?? '', 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lenOverride ?? BigInt(h.length));
  const p = join(tmp, name);
  writeFileSync(p, Buffer.concat([len, h, Buffer.from(data)]));
  return p;
}

describe('safetensors', () => {
  it('round-trips f32, bf16, f16 and int64 tensors', () => {
    const f = Float32Array.from([0, 1, -2.5, 3.25, 1e-3, -65504, 0.1, 7]);
    const p = join(tmp, 'rt.safetensors');
    writeSafetensors(p, {
      a: { dtype: 'F32', shape: [2, 4], data: f },
      b: { dtype: 'BF16', shape: [8], data: f32ToBf16(f) },
      c: { dtype: 'F16', shape: [4, 2], data: f32ToF16(f) },
      ids: { dtype: 'I64', shape: [1, 3], data: BigInt64Array.of(1n, 2n, 151647n) },
    }, { format: 'pt' });
    const r = new SafetensorsFile(p);
    expect(r.metadata.format).toBe('pt');
    expect([...r.tensors.keys()].sort()).toEqual(['a', 'b', 'c', 'ids']);
    expect(r.tensors.get('a')!.shape).toEqual([2, 4]);
    expect(hostToF32({ dtype: 'f32', shape: [2, 4], bytes: r.readBytes('a') })).toEqual(f);
    const b = hostToF32({ dtype: 'bf16', shape: [8], bytes: r.readBytes('b') });
    const c = hostToF32({ dtype: 'f16', shape: [8], bytes: r.readBytes('c') });
    for (let i = 0; i < 8; i++) {
      expect(b[i]).toBeCloseTo(f[i], Math.abs(f[i]) > 100 ? -3 : 2);
      expect(c[i]).toBeCloseTo(f[i], Math.abs(f[i]) > 100 ? -1 : 3);
    }
    expect(c[5]).toBe(-65504);
    expect(new BigInt64Array(r.readBytes('ids').buffer)).toEqual(BigInt64Array.of(1n, 2n, 151647n));
    r.close();
  });

  it('names a missing file plainly (not a raw ENOENT)', () => {
    const p = join(tmp, 'nope.safetensors');
    expect(() => new SafetensorsFile(p)).toThrow(`${p}: file not found`);
  });

  it('rejects a file too short for a header', () => {
    const p = join(tmp, 'short.safetensors');
    writeFileSync(p, Buffer.from([1, 2, 3]));
    expect(() => new SafetensorsFile(p)).toThrow(/too short/);
  });

  it('rejects a header length past the end of the file', () => {
    expect(() => new SafetensorsFile(rawFile('len.safetensors', '{}', undefined, 1_000_000n))).toThrow(/bad header length/);
  });

  it('rejects a header that is not JSON', () => {
    expect(() => new SafetensorsFile(rawFile('json.safetensors', '{"a": [1, 2'))).toThrow(/not valid JSON/);
  });

  it('rejects out-of-range data offsets', () => {
    const h = JSON.stringify({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } });
    expect(() => new SafetensorsFile(rawFile('oob.safetensors', h, new Uint8Array(8)))).toThrow(/out of range/);
  });

  it('rejects offsets that disagree with dtype and shape', () => {
    const h = JSON.stringify({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } });
    expect(() => new SafetensorsFile(rawFile('size.safetensors', h, new Uint8Array(16)))).toThrow(/needs 12 bytes/);
  });

  it('rejects unknown dtypes and malformed entries', () => {
    const h1 = JSON.stringify({ w: { dtype: 'Q4', shape: [4], data_offsets: [0, 2] } });
    expect(() => new SafetensorsFile(rawFile('dt.safetensors', h1, new Uint8Array(2)))).toThrow(/unsupported dtype Q4/);
    const h2 = JSON.stringify({ w: { dtype: 'F32', shape: [1] } });
    expect(() => new SafetensorsFile(rawFile('mal.safetensors', h2, new Uint8Array(4)))).toThrow(/malformed entry/);
  });
});
