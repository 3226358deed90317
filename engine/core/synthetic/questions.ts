// Questions about a synthetic scene, with answers: as scripts/synthetic-world/world.py asks them (same PRNG draws).
import { Rng } from './prng.ts';
import { COLOURS, DIRECTIONS, SHAPES, SHAPE_PLURALS, makeScene, type Scene } from './world.ts';

/** Types that ask about one object (multi-turn sets use them so each turn needs a different object). */
export const OBJECT_TYPES = ['shape_of_colour', 'colour_of_shape', 'exists', 'motion'] as const;
export const GLOBAL_TYPES = ['first', 'last', 'after', 'count', 'count_shape'] as const;
export const ALL_TYPES: readonly QuestionType[] = [...OBJECT_TYPES, ...GLOBAL_TYPES];
export type QuestionType = (typeof OBJECT_TYPES)[number] | (typeof GLOBAL_TYPES)[number] | 'describe';
const COUNT_WORDS = ['0', '1', '2', '3', '4'];

export interface Question {
  type: QuestionType;
  question: string;
  answer: string;
  /** Object indices the answer depends on. */
  targets: number[];
}

const colourName = (c: number) => COLOURS[c].name;
const describe = (scene: Scene, i: number) => `${colourName(scene.objects[i].colour)} ${SHAPES[scene.objects[i].shape]}`;

function byStart(scene: Scene): number[] {
  // Python's sorted() is stable; starts are distinct anyway.
  return scene.objects.map((_, i) => i).sort((a, b) => scene.objects[a].start - scene.objects[b].start || a - b);
}

function applicable(scene: Scene, type: QuestionType, target: number | null): boolean {
  const objs = scene.objects;
  if (type === 'colour_of_shape') return objs.filter((o) => o.shape === objs[target!].shape).length === 1;
  if (type === 'after') return byStart(scene).at(-1) !== target;
  return true;
}

const q = (type: QuestionType, question: string, answer: string, targets: number[]): Question => ({ type, question, answer, targets });

export function makeQuestion(scene: Scene, type: QuestionType, target: number | null, rng: Rng): Question {
  const objs = scene.objects;
  const o = target === null ? null : objs[target];
  switch (type) {
    case 'shape_of_colour':
      return q(type, `what shape is the ${colourName(o!.colour)} object ?`, SHAPES[o!.shape], [target!]);
    case 'colour_of_shape':
      return q(type, `what colour is the ${SHAPES[o!.shape]} ?`, colourName(o!.colour), [target!]);
    case 'motion':
      return q(type, `which way did the ${describe(scene, target!)} move ?`, DIRECTIONS[o!.direction], [target!]);
    case 'exists': {
      if (rng.randint(2) === 0) return q(type, `did a ${describe(scene, target!)} appear ?`, 'yes', [target!]);
      const used = objs.map((x) => x.colour);
      if (rng.randint(2) === 0) {
        const shape = (o!.shape + 1 + rng.randint(SHAPES.length - 1)) % SHAPES.length;
        return q(type, `did a ${colourName(o!.colour)} ${SHAPES[shape]} appear ?`, 'no', [target!]);
      }
      const absent = COLOURS.map((_, i) => i).filter((c) => !used.includes(c));
      const colour = absent[rng.randint(absent.length)];
      return q(type, `did a ${colourName(colour)} ${SHAPES[o!.shape]} appear ?`, 'no', []);
    }
    case 'first': {
      const order = byStart(scene);
      return q(type, 'which colour appeared first ?', colourName(objs[order[0]].colour), [order[0]]);
    }
    case 'last': {
      const order = byStart(scene);
      const l = order[order.length - 1];
      return q(type, 'which colour appeared last ?', colourName(objs[l].colour), [l]);
    }
    case 'after': {
      const order = byStart(scene);
      const next = order[order.indexOf(target!) + 1];
      return q(type, `which colour appeared after the ${describe(scene, target!)} ?`, colourName(objs[next].colour), [target!, next]);
    }
    case 'count':
      return q(type, 'how many objects appeared ?', COUNT_WORDS[objs.length], objs.map((_, i) => i));
    case 'count_shape': {
      const shape = rng.randint(SHAPES.length);
      const hits = objs.map((x, i) => (x.shape === shape ? i : -1)).filter((i) => i >= 0);
      return q(type, `how many ${SHAPE_PLURALS[shape]} appeared ?`, COUNT_WORDS[hits.length], hits);
    }
    case 'describe':
      return describeQuestion(scene);
  }
}

/** Several words: every object in order of appearance ("red square blue circle"). The model saw this question in
 *  training (scripts/gpu/train_vlm.py describe()); `eval --describe` uses it to exercise decode-time retrieval. */
export function describeQuestion(scene: Scene): Question {
  const order = byStart(scene);
  return q('describe', 'describe the video .', order.map((i) => describe(scene, i)).join(' '), order);
}

const needsTarget = (t: QuestionType) => (OBJECT_TYPES as readonly string[]).includes(t) || t === 'after';

export function randomQuestion(scene: Scene, rng: Rng, types: readonly QuestionType[] = ALL_TYPES): Question {
  const k = scene.objects.length;
  for (let attempt = 0; attempt < 1000; attempt++) {
    const type = types[rng.randint(types.length)];
    const target = needsTarget(type) ? rng.randint(k) : null;
    if (target === null || applicable(scene, type, target)) return makeQuestion(scene, type, target, rng);
  }
  throw new Error('no applicable question');
}

/** Turns 1..n-1 ask about different objects; the last asks about a third object when there is one, else the whole video. */
export function multiTurnSet(scene: Scene, rng: Rng, turns = 3): Question[] {
  const k = scene.objects.length;
  const order = rng.shuffled(scene.objects.map((_, i) => i));
  const out: Question[] = [];
  for (let t = 0; t < turns; t++) {
    if (t < k && (t < turns - 1 || k >= turns)) {
      const target = order[t];
      const types = OBJECT_TYPES.filter((x) => applicable(scene, x, target));
      out.push(makeQuestion(scene, types[rng.randint(types.length)], target, rng));
    } else {
      const types = ['first', 'last', 'count'] as const;
      out.push(makeQuestion(scene, types[rng.randint(types.length)], null, rng));
    }
  }
  return out;
}

export function questionRng(seed: number): Rng {
  return new Rng((seed ^ 0x5bd1e995) >>> 0);
}

export interface EvalItem {
  seed: number;
  scene: Scene;
  single: Question[];
  conversation: Question[];
}

/** What the evaluation asks about one video: `single` questions and one multi-turn `conversation`. */
export function evalItem(seed: number, singleTurn = 4, turns = 3): EvalItem {
  const scene = makeScene(seed);
  const rng = questionRng(seed);
  const single = Array.from({ length: singleTurn }, () => randomQuestion(scene, rng));
  const conversation = multiTurnSet(scene, rng, turns);
  return { seed, scene, single, conversation };
}
