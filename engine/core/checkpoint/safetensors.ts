// safetensors reading (header parse + positioned reads of one tensor at a time, never the whole file) and writing.
import { closeSync, fstatSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import type { DType } from '../backend/backend.ts';
import { headerTextProblem } from './header-scan.ts';

export type StDType = 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'U8' | 'F64' | 'I8' | 'I16' | 'BOOL';

export const ST_DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

export interface StTensorInfo {
  name: string;
  dtype: StDType;
  shape: number[];
  /** Absolute byte offsets in the file. */
  begin: number;
  end: number;
}

export class SafetensorsError extends Error {
  constructor(file: string, msg: string) {
    super(`${file}: ${msg}`);
    this.name = 'SafetensorsError';
  }
}

const MAX_HEADER = 100 * 1024 * 1024;

/** An open safetensors file: header parsed, tensors read on demand with positioned reads. */
export class SafetensorsFile {
  readonly tensors = new Map<string, StTensorInfo>();
  readonly metadata: Record<string, string> = {};
  private fd: number;

  constructor(readonly path: string) {
    let st;
    try {
      st = statSync(path);
    } catch {
      throw new SafetensorsError(path, 'file not found');
    }
    if (!st.isFile()) throw new SafetensorsError(path, `not a file (it is a ${st.isDirectory() ? 'directory' : 'special file'})`);
    this.fd = openSync(path, 'r');
    try {
      this.parse();
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  private parse(): void {
    const size = fstatSync(this.fd).size;
    if (size < 8) throw new SafetensorsError(this.path, `file is ${size} bytes, too short for a safetensors header`);
    const lenBuf = Buffer.alloc(8);
    readSync(this.fd, lenBuf, 0, 8, 0);
    const headerLen = Number(lenBuf.readBigUInt64LE(0));
    if (headerLen < 2 || headerLen > MAX_HEADER || 8 + headerLen > size) {
      throw new SafetensorsError(this.path, `bad header length ${headerLen} (file is ${size} bytes)`);
    }
    const hb = Buffer.alloc(headerLen);
    readSync(this.fd, hb, 0, headerLen, 8);
    const text = hb.toString('utf8');
    const problem = headerTextProblem(text);
    if (problem) throw new SafetensorsError(this.path, problem);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(text);
    } catch (e) {
      throw new SafetensorsError(this.path, `header is not valid JSON (${(e as Error).message})`);
    }
    if (header === null || typeof header !== 'object' || Array.isArray(header)) {
      throw new SafetensorsError(this.path, 'header is not a JSON object');
    }
    const dataStart = 8 + headerLen;
    const dataLen = size - dataStart;
    for (const [name, v] of Object.entries(header)) {
      if (name === '__metadata__') {
        Object.assign(this.metadata, v as Record<string, string>);
        continue;
      }
      const info = v as { dtype?: string; shape?: number[]; data_offsets?: number[] };
      if (!info || typeof info.dtype !== 'string' || !Array.isArray(info.shape) || !Array.isArray(info.data_offsets)
        || info.data_offsets.length !== 2) {
        throw new SafetensorsError(this.path, `tensor "${name}": malformed entry ${String(JSON.stringify(v)).slice(0, 200)}`);
      }
      if (!info.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        throw new SafetensorsError(this.path, `tensor "${name}": shape ${JSON.stringify(info.shape)} must be non-negative integers`);
      }
      const esz = ST_DTYPE_BYTES[info.dtype];
      if (!esz) throw new SafetensorsError(this.path, `tensor "${name}": unsupported dtype ${info.dtype}`);
      const [b, e] = info.data_offsets;
      if (!Number.isInteger(b) || !Number.isInteger(e) || b < 0 || e < b || e > dataLen) {
        throw new SafetensorsError(this.path,
          `tensor "${name}": data offsets [${b}, ${e}] out of range (data section is ${dataLen} bytes)`);
      }
      const count = info.shape.reduce((a, x) => a * x, 1);
      if (count * esz !== e - b) {
        throw new SafetensorsError(this.path,
          `tensor "${name}": ${info.dtype}${JSON.stringify(info.shape)} needs ${count * esz} bytes but offsets span ${e - b}`);
      }
      this.tensors.set(name, { name, dtype: info.dtype as StDType, shape: info.shape, begin: dataStart + b, end: dataStart + e });
    }
  }

  /** Read one tensor's bytes into a fresh, 8-byte-aligned buffer. */
  readBytes(name: string): Uint8Array {
    const t = this.tensors.get(name);
    if (!t) throw new SafetensorsError(this.path, `no tensor "${name}"`);
    const n = t.end - t.begin;
    const out = new Uint8Array(new ArrayBuffer(n));
    let done = 0;
    while (done < n) {
      const chunk = Math.min(n - done, 1 << 30);
      const r = readSync(this.fd, out, done, chunk, t.begin + done);
      if (r <= 0) throw new SafetensorsError(this.path, `tensor "${name}": unexpected end of file`);
      done += r;
    }
    return out;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

export function stToDType(d: StDType): DType | null {
  return d === 'F32' ? 'f32' : d === 'F16' ? 'f16' : d === 'BF16' ? 'bf16' : null;
}

export interface TensorToWrite {
  dtype: StDType;
  shape: number[];
  data: ArrayBufferView;
}

/** Write tensors (sorted by name, like the reference implementation) to one safetensors file. */
export function writeSafetensors(path: string, tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): void {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let off = 0;
  for (const n of names) {
    const t = tensors[n];
    const esz = ST_DTYPE_BYTES[t.dtype];
    const count = t.shape.reduce((a, x) => a * x, 1);
    if (count * esz !== t.data.byteLength) {
      throw new Error(`writeSafetensors: "${n}" ${t.dtype}${JSON.stringify(t.shape)} needs ${count * esz} bytes, got ${t.data.byteLength}`);
    }
    header[n] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.data.byteLength] };
    off += t.data.byteLength;
  }
  let hjson = JSON.stringify(header);
  while ((8 + Buffer.byteLength(hjson)) % 8 !== 0) hjson += ' ';
  const hbytes = Buffer.from(hjson, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(hbytes.length));
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, len);
    writeSync(fd, hbytes);
    for (const n of names) {
      const d = tensors[n].data;
      writeSync(fd, new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    }
  } finally {
    closeSync(fd);
  }
}
