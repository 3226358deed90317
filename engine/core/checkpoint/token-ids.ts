// Token ids read from a tensor file (the HF-parity `logits` interface stores them as int64): every one checked to be
// a token id before it becomes an Int32 (2^40 would silently wrap to 0).

/** The ids of an I64 or I32 tensor's bytes; `where` names the file and tensor in errors. */
export function tokenIdsFromBytes(bytes: Uint8Array, dtype: 'I64' | 'I32', count: number, where: string): Int32Array {
  if (count === 0) throw new Error(`${where} is empty (shape [1,0]); give at least one token`);
  const src = dtype === 'I64' ? new BigInt64Array(bytes.buffer, bytes.byteOffset, count) : new Int32Array(bytes.buffer, bytes.byteOffset, count);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const v = src[i];
    if (v < 0 || v > 0x7fffffff) throw new Error(`${where}[${i}] = ${v} is not a token id (ids are 0 to 2^31 - 1)`);
    out[i] = Number(v);
  }
  return out;
}

/** Every id below the model's vocabulary size. */
export function checkIdsInVocab(ids: Int32Array, vocab: number, where: string): void {
  const i = ids.findIndex((id) => id >= vocab);
  if (i >= 0) throw new Error(`${where}[${i}] = ${ids[i]} is outside the model's vocabulary (${vocab} tokens)`);
}
