// Scoring a several-word answer against world v2's expected items, in order. An answer is read as a list of items:
// "<colour> <shape>" is one actor, a side or "none" is one item, the joining words ("to", "and", "the", ",") are
// skipped, and any other word is an item of its own (so a made-up word costs like a wrong item).
import { SHAPES } from './world.ts';
import { COLOURS } from './world-v2.ts';

const COLOUR_NAMES = new Set(COLOURS.map((c) => c.name));
const SHAPE_NAMES = new Set<string>(SHAPES);
const JOINERS = new Set(['to', 'and', 'the', 'then']);

export function answerItems(text: string): string[] {
  const words = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (COLOUR_NAMES.has(w) && SHAPE_NAMES.has(words[i + 1])) { out.push(`${w} ${words[i + 1]}`); i++; continue; }
    if (JOINERS.has(w)) continue;
    out.push(w);
  }
  return out;
}

function lcsLength(a: readonly string[], b: readonly string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    const cur = [0];
    for (let j = 0; j < b.length; j++) cur.push(x === b[j] ? prev[j] + 1 : Math.max(prev[j + 1], cur[j]));
    prev = cur;
  }
  return prev[b.length];
}

export interface ItemScore {
  /** Expected items named in order (longest common subsequence) over max(expected, answered): extra items cost too. */
  partial: number;
  /** Every word of the answer is the expected one. */
  exact: boolean;
  /** The items read from the answer. */
  got: string[];
}

export function scoreItems(answer: string, expected: readonly string[], expectedAnswer: string): ItemScore {
  if (expected.length === 0) throw new Error('scoreItems: no expected items');
  const got = answerItems(answer);
  const words = (s: string) => s.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  const w = words(answer);
  const want = words(expectedAnswer);
  const exact = w.length === want.length && w.every((x, i) => x === want[i]);
  return { partial: lcsLength(expected, got) / Math.max(expected.length, got.length), exact, got };
}
