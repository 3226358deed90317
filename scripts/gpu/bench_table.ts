// Preview of BENCHMARKS.md's CUDA block from one device call's `sparsevila bench --out` and `bench_hf.py --out` files
// (the same text scripts/benchmarks-md.ts writes once the files are committed under assets/benchmarks/).
// Usage: npx tsx scripts/gpu/bench_table.ts cuda-7b.bench.json [cuda-7b.hf.json]
import { readFileSync } from 'node:fs';
import { cudaBlock, type BenchJson, type HfJson } from '../benchmarks-md.ts';

const [oursPath, hfPath] = process.argv.slice(2);
if (!oursPath) throw new Error('usage: bench_table.ts cuda-7b.bench.json [cuda-7b.hf.json]');
const read = (p: string) => JSON.parse(readFileSync(p, 'utf8'));
console.log(cudaBlock(read(oursPath) as BenchJson, hfPath ? read(hfPath) as HfJson : null));
