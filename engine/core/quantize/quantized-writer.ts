// The output folder, written into a hidden sibling and renamed into place only when complete, so a failure or a
// cancel never leaves a half-written model: safetensors shards (a new one past `shardBytes`, with
// model.safetensors.index.json when there are several), config.json, and the source's tokenizer/template/processor
// files copied.
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeSafetensors, type TensorToWrite } from '../checkpoint/safetensors.ts';

/** Files of the source folder that are weights (not copied: the writer writes the new ones). */
const WEIGHT_FILE = /\.(safetensors|bin|pt|pth|ckpt|h5|msgpack|gguf|onnx)$|^model\.safetensors\.index\.json$/;

/** Bytes of a model folder's weight files (what it takes on disk, less the small side files). */
export function weightFileBytes(dir: string): number {
  return readdirSync(dir).filter((f) => WEIGHT_FILE.test(f)).reduce((a, f) => a + statSync(join(dir, f)).size, 0);
}

export class QuantizedFolderWriter {
  readonly tmp: string;
  private pending: Record<string, TensorToWrite> = {};
  private pendingBytes = 0;
  private shards: { file: string; names: string[] }[] = [];
  private totalBytes = 0;

  constructor(readonly out: string, private readonly shardBytes = 2 * 2 ** 30) {
    if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
      throw new Error(`${out} already exists; choose a new folder for the 4-bit copy`);
    }
    if (!existsSync(dirname(out))) throw new Error(`${dirname(out)}: the output's parent folder does not exist`);
    this.tmp = join(dirname(out), `.${basename(out)}.partial-${process.pid}-${Date.now()}`);
    mkdirSync(this.tmp);
  }

  add(name: string, t: TensorToWrite): void {
    this.pending[name] = t;
    this.pendingBytes += t.data.byteLength;
    this.totalBytes += t.data.byteLength;
    if (this.pendingBytes >= this.shardBytes) this.flush();
  }

  private flush(): void {
    const names = Object.keys(this.pending);
    if (names.length === 0) return;
    const file = `shard-${this.shards.length}.safetensors`;
    writeSafetensors(join(this.tmp, file), this.pending, { format: 'pt' });
    this.shards.push({ file, names });
    this.pending = {};
    this.pendingBytes = 0;
  }

  json(name: string, value: unknown): void {
    writeFileSync(join(this.tmp, name), JSON.stringify(value, null, 2) + '\n');
  }

  /** Copies the source folder's other files (tokenizer, chat template, generation/preprocessor configs, README). */
  copySideFiles(src: string, except: readonly string[]): void {
    for (const f of readdirSync(src)) {
      if (WEIGHT_FILE.test(f) || except.includes(f) || f.startsWith('.')) continue;
      const p = join(src, f);
      if (statSync(p).isFile()) copyFileSync(p, join(this.tmp, f));
    }
  }

  /** Names the shards, writes the index when there are several, and moves the folder into place. */
  finish(): { bytes: number; files: string[] } {
    this.flush();
    const n = this.shards.length;
    const final = (i: number) => (n === 1 ? 'model.safetensors' : `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`);
    const weightMap: Record<string, string> = {};
    this.shards.forEach((s, i) => {
      renameSync(join(this.tmp, s.file), join(this.tmp, final(i)));
      for (const t of s.names) weightMap[t] = final(i);
    });
    if (n > 1) this.json('model.safetensors.index.json', { metadata: { total_size: this.totalBytes }, weight_map: weightMap });
    if (existsSync(this.out)) rmSync(this.out, { recursive: true });
    renameSync(this.tmp, this.out);
    return { bytes: this.totalBytes, files: readdirSync(this.out).sort() };
  }

  /** Removes everything written so far. */
  abort(): void {
    rmSync(this.tmp, { recursive: true, force: true });
  }
}
