// A small byte-level BPE tokenizer.json (Qwen2/GPT-2 style: every byte is a token, a few merges, ChatML specials), for
// random-weight test checkpoints: any text encodes and decodes exactly.

/** GPT-2's bytes_to_unicode: printable stand-ins for the 256 byte values. */
export function byteToUnicode(): string[] {
  const keep: number[] = [];
  for (let b = 33; b <= 126; b++) keep.push(b);
  for (let b = 161; b <= 172; b++) keep.push(b);
  for (let b = 174; b <= 255; b++) keep.push(b);
  const map: string[] = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) map[b] = keep.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + n++);
  return map;
}

export const SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<image>', '<video>'] as const;

export interface ByteBpe {
  json: Record<string, unknown>;
  vocabSize: number;
  ids: Record<(typeof SPECIAL_TOKENS)[number], number>;
}

/** With `specialIds`, the special tokens get those ids (e.g. Qwen2's real ids for synthetic-weight models). */
export function buildByteBpeTokenizer(specialIds?: Partial<Record<(typeof SPECIAL_TOKENS)[number], number>>,
  extraSpecial: Record<string, number> = {}): ByteBpe {
  const b2u = byteToUnicode();
  const vocab: Record<string, number> = {};
  b2u.forEach((u, b) => { vocab[u] = b; });
  const merges: [string, string][] = [['Ġ', 't'], ['h', 'e'], ['Ġt', 'he'], ['i', 'n'], ['Ġ', 'a'], ['o', 'n'], ['e', 'r'], ['Ġ', 's']];
  for (const [a, b] of merges) if (vocab[a + b] === undefined) vocab[a + b] = Object.keys(vocab).length;
  let next = Object.keys(vocab).length;
  const ids = {} as ByteBpe['ids'];
  const added: { id: number; content: string; single_word: boolean; lstrip: boolean; rstrip: boolean; normalized: boolean; special: boolean }[] = SPECIAL_TOKENS.map((content) => {
    const id = specialIds?.[content] ?? next++;
    ids[content] = id;
    return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
  });
  for (const [content, id] of Object.entries(extraSpecial)) {
    if (!(content in ids)) added.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  }
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'NFC' },
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
  return { json, vocabSize: Math.max(next, ...added.map((t) => t.id + 1)), ids };
}
