// Questions about a world-v2 scene, with answers and scored items: as scripts/synthetic-world/world_v2.py asks them
// (same PRNG draws). Every answer is several words; `items` are what the evaluation scores, in order.
import { Rng } from './prng.ts';
import { SHAPES } from './world.ts';
import { COLOURS, SIDES, makeSceneV2, type SceneV2 } from './world-v2.ts';

export const V2_TYPES = ['describe', 'path', 'after', 'from_side', 'to_side'] as const;
export type V2Type = (typeof V2_TYPES)[number];
const CONVERSATION_PATTERN = ['path', 'after', 'side', 'describe', 'path', 'after'] as const;
export const MAX_TURNS_V2 = CONVERSATION_PATTERN.length;

export interface QuestionV2 {
  type: V2Type;
  question: string;
  /** The words the model should generate. */
  answer: string;
  /** What is scored, in order: actors ("red circle"), sides ("left") or "none". */
  items: string[];
  /** The actor the question names, or -1. */
  target: number;
}

export const actorName = (scene: SceneV2, i: number) => `${COLOURS[scene.actors[i].colour].name} ${SHAPES[scene.actors[i].shape]}`;

const q = (type: V2Type, question: string, items: string[], answer: string, target: number): QuestionV2 => ({ type, question, answer, items, target });

export function makeQuestionV2(scene: SceneV2, type: V2Type, target: number, side = -1): QuestionV2 {
  const acts = scene.actors;
  switch (type) {
    case 'describe': {
      const items = acts.map((_, i) => actorName(scene, i));
      return q(type, 'describe the video .', items, items.join(' '), -1);
    }
    case 'path': {
      const a = acts[target];
      const items = [SIDES[a.entry], SIDES[a.exit]];
      return q(type, `where did the ${actorName(scene, target)} come from and go to ?`, items, `${items[0]} to ${items[1]}`, target);
    }
    case 'after': {
      const next = acts[target + 1];
      const items = [actorName(scene, target + 1), SIDES[next.entry], SIDES[next.exit]];
      return q(type, `what came after the ${actorName(scene, target)} , and where did it go ?`, items, `${items[0]} , ${items[1]} to ${items[2]}`, target);
    }
    case 'from_side':
    case 'to_side': {
      const key = type === 'from_side' ? 'entry' : 'exit';
      const named = acts.map((a, i) => (a[key] === side ? actorName(scene, i) : null)).filter((x): x is string => x !== null);
      const items = named.length ? named : ['none'];
      const question = type === 'from_side' ? `which objects came from the ${SIDES[side]} ?` : `which objects went to the ${SIDES[side]} ?`;
      return q(type, question, items, items.join(' '), -1);
    }
  }
}

export function randomQuestionV2(scene: SceneV2, rng: Rng): QuestionV2 {
  const k = scene.actors.length;
  const type = V2_TYPES[rng.randint(V2_TYPES.length)];
  if (type === 'path') return makeQuestionV2(scene, type, rng.randint(k));
  if (type === 'after') return makeQuestionV2(scene, type, rng.randint(k - 1));
  if (type === 'from_side' || type === 'to_side') return makeQuestionV2(scene, type, -1, rng.randint(4));
  return makeQuestionV2(scene, type, -1);
}

/** Turns follow the pattern path of A, what came after B, which actors came from / went to C's side, describe, path,
 *  after: each about an actor not asked about before while there are any. */
export function conversationV2(scene: SceneV2, rng: Rng, turns = 4): QuestionV2[] {
  if (!Number.isInteger(turns) || turns < 1 || turns > MAX_TURNS_V2) throw new Error(`turns must be 1..${MAX_TURNS_V2}, got ${turns}`);
  const k = scene.actors.length;
  const order = rng.shuffled(scene.actors.map((_, i) => i));
  const asked: number[] = [];
  const out: QuestionV2[] = [];
  for (const kind of CONVERSATION_PATTERN.slice(0, turns)) {
    if (kind === 'describe') { out.push(makeQuestionV2(scene, 'describe', -1)); continue; }
    const ok = order.filter((i) => kind !== 'after' || i < k - 1);
    const target = (ok.filter((i) => !asked.includes(i))[0] ?? ok[0]);
    asked.push(target);
    if (kind === 'side') {
      const type = rng.randint(2) === 0 ? 'from_side' : 'to_side';
      const a = scene.actors[target];
      out.push(makeQuestionV2(scene, type, -1, type === 'from_side' ? a.entry : a.exit));
    } else {
      out.push(makeQuestionV2(scene, kind, target));
    }
  }
  return out;
}

export function questionRngV2(seed: number): Rng {
  return new Rng((seed ^ 0x2f6b7a91) >>> 0);
}

export interface EvalItemV2 {
  seed: number;
  scene: SceneV2;
  conversation: QuestionV2[];
}

export function evalItemV2(seed: number, turns = 4): EvalItemV2 {
  const scene = makeSceneV2(seed);
  return { seed, scene, conversation: conversationV2(scene, questionRngV2(seed), turns) };
}
