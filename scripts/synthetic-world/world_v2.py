"""World v2 of the synthetic video world (Python reference), what scripts/gpu/train_world_v2.py trains on.

engine/core/synthetic/world-v2.ts and questions-v2.ts are the same world in TypeScript (`sparsevila eval --world v2`
renders its videos with them); both draw from the same PRNG (world.Rng) in the same order, so a seed gives the same
scene, questions and pixels. test/fixtures/synthetic/golden-v2.json (written by `python3
scripts/synthetic-world/golden.py --world v2 FILE`) pins that equality.

A scene: a 16 s clip at 4 fps (64 frames of 128x128 RGB). 4-8 actors (coloured shapes, distinct colours) enter one
after another through an edge of the frame, cross it in a straight line (overlapping each other) and exit through
another edge; 2-4 grey distractors (never asked about) sit still for part of the clip. Every question needs a
several-word answer: the actors in order of entry, where one came from and went, what came after one and where it
went, which actors came from / went to a side. Each answer is a list of items (an actor "red circle", a side "left")
that the evaluation scores in order.
Pure Python on purpose (no numpy): the training script renders the same rules vectorized in torch.
"""
from world import COUNT_WORDS, MASK32, SHAPES, Rng, fnv1a, inside, time_instruction, uniform_indices  # noqa: F401

FPS = 4
NUM_FRAMES = 64  # 16 s
SIZE = 128
BACKGROUND = (16, 16, 16)
GREY = (120, 120, 120)
COLOURS = [
    ('red', (230, 30, 30)),
    ('green', (30, 190, 40)),
    ('blue', (40, 90, 255)),
    ('yellow', (245, 225, 30)),
    ('white', (245, 245, 245)),
    ('magenta', (230, 40, 210)),
    ('cyan', (30, 215, 225)),
    ('orange', (255, 140, 0)),
    ('purple', (130, 50, 200)),
    ('pink', (255, 160, 200)),
]
SIDES = ['left', 'right', 'top', 'bottom']
MIN_ACTORS, MAX_ACTORS = 4, 8
MAX_DISTRACTORS = 4
ENTRY_SPAN = 44  # actors' entry frames are spread over the first 44 frames, one slot each
TYPES = ['describe', 'path', 'after', 'from_side', 'to_side']
CONVERSATION_PATTERN = ['path', 'after', 'side', 'describe', 'path', 'after']
MAX_TURNS = len(CONVERSATION_PATTERN)
# words the questions and answers use beyond colours, shapes and sides (the tokenizer must hold them)
WORDS = 'describe the video . where did come from and go to ? what came after , it which objects went none'.split()


def make_scene(seed):
    rng = Rng(seed)
    k = MIN_ACTORS + rng.randint(MAX_ACTORS - MIN_ACTORS + 1)
    d = 2 + rng.randint(MAX_DISTRACTORS - 1)
    colours = rng.shuffled(range(len(COLOURS)))[:k]
    slot = ENTRY_SPAN // k
    actors = []
    for i in range(k):
        shape = rng.randint(len(SHAPES))
        radius = 8 + rng.randint(4)
        entry = rng.randint(4)
        exit_ = (entry + 1 + rng.randint(3)) % 4
        u0 = 20 + rng.randint(89)
        u1 = 20 + rng.randint(89)
        start = i * slot + rng.randint(max(1, slot - 3))  # entries at least 4 frames apart, in index order
        length = min(16 + rng.randint(13), NUM_FRAMES - start)
        actors.append({'colour': colours[i], 'shape': shape, 'radius': radius, 'entry': entry, 'exit': exit_,
                       'u0': u0, 'u1': u1, 'start': start, 'length': length})
    distractors = []
    for _ in range(d):
        shape = rng.randint(len(SHAPES))
        radius = 6 + rng.randint(3)
        x = 12 + rng.randint(SIZE - 23)
        y = 12 + rng.randint(SIZE - 23)
        start = rng.randint(32)
        length = min(32 + rng.randint(33), NUM_FRAMES - start)
        distractors.append({'shape': shape, 'radius': radius, 'x': x, 'y': y, 'start': start, 'length': length})
    return {'seed': seed, 'actors': actors, 'distractors': distractors}


def edge_point(side, u):
    """The centre on an edge: half the object is inside the frame."""
    return [(0, u), (SIZE - 1, u), (u, 0), (u, SIZE - 1)][side]


def actor_centre(a, n):
    """(cx, cy) at video frame n, or None when the actor is not in the clip then."""
    t = n - a['start']
    if t < 0 or t >= a['length']:
        return None
    x0, y0 = edge_point(a['entry'], a['u0'])
    x1, y1 = edge_point(a['exit'], a['u1'])
    span = a['length'] - 1
    return x0 + ((x1 - x0) * t) // span, y0 + ((y1 - y0) * t) // span


def distractor_visible(o, n):
    return o['start'] <= n < o['start'] + o['length']


def _paint(buf, shape, r, cx, cy, rgb):
    for py in range(max(0, cy - r), min(SIZE, cy + r + 1)):
        for px in range(max(0, cx - r), min(SIZE, cx + r + 1)):
            if inside(shape, r, px - cx, py - cy):
                at = (py * SIZE + px) * 3
                buf[at:at + 3] = rgb


def render_frame(scene, n):
    """Video frame n as a bytearray of SIZE*SIZE*3 RGB bytes (row-major): distractors, then actors in entry order."""
    buf = bytearray(BACKGROUND * (SIZE * SIZE))
    for o in scene['distractors']:
        if distractor_visible(o, n):
            _paint(buf, o['shape'], o['radius'], o['x'], o['y'], bytes(GREY))
    for a in scene['actors']:
        c = actor_centre(a, n)
        if c is not None:
            _paint(buf, a['shape'], a['radius'], c[0], c[1], bytes(COLOURS[a['colour']][1]))
    return buf


def name(a):
    return '%s %s' % (COLOURS[a['colour']][0], SHAPES[a['shape']])


def _q(qtype, question, items, answer, target):
    return {'type': qtype, 'question': question, 'answer': answer, 'items': items, 'target': target}


def make_question(scene, qtype, target, side=None):
    """One question: type, question, answer (the words to generate), items (what is scored, in order), target (the
    actor index the question names, or -1). `side` is the side asked about for from_side / to_side."""
    acts = scene['actors']
    if qtype == 'describe':
        items = [name(a) for a in acts]
        return _q(qtype, 'describe the video .', items, ' '.join(items), -1)
    if qtype == 'path':
        a = acts[target]
        items = [SIDES[a['entry']], SIDES[a['exit']]]
        return _q(qtype, 'where did the %s come from and go to ?' % name(a), items, '%s to %s' % tuple(items), target)
    if qtype == 'after':
        nxt = acts[target + 1]
        items = [name(nxt), SIDES[nxt['entry']], SIDES[nxt['exit']]]
        return _q(qtype, 'what came after the %s , and where did it go ?' % name(acts[target]), items,
                  '%s , %s to %s' % tuple(items), target)
    if qtype in ('from_side', 'to_side'):
        key = 'entry' if qtype == 'from_side' else 'exit'
        items = [name(a) for a in acts if a[key] == side] or ['none']
        q = 'which objects came from the %s ?' if qtype == 'from_side' else 'which objects went to the %s ?'
        return _q(qtype, q % SIDES[side], items, ' '.join(items), -1)
    raise ValueError('unknown question type %r' % qtype)


def random_question(scene, rng):
    """A question of a type drawn uniformly from TYPES, about a random actor or side."""
    k = len(scene['actors'])
    qtype = TYPES[rng.randint(len(TYPES))]
    if qtype == 'path':
        return make_question(scene, qtype, rng.randint(k))
    if qtype == 'after':
        return make_question(scene, qtype, rng.randint(k - 1))
    if qtype in ('from_side', 'to_side'):
        return make_question(scene, qtype, -1, rng.randint(4))
    return make_question(scene, qtype, -1)


def conversation(scene, rng, turns=4):
    """Turns follow CONVERSATION_PATTERN, each about an actor not asked about before (while there are any):
    path of A, what came after B, which actors came from / went to C's side, describe, ..."""
    if not 1 <= turns <= MAX_TURNS:
        raise ValueError('turns must be 1..%d' % MAX_TURNS)
    k = len(scene['actors'])
    order = rng.shuffled(range(k))
    asked = []
    out = []
    for kind in CONVERSATION_PATTERN[:turns]:
        if kind == 'describe':
            out.append(make_question(scene, 'describe', -1))
            continue
        ok = [i for i in order if kind != 'after' or i < k - 1]  # 'after' needs an actor that is not the last
        target = ([i for i in ok if i not in asked] or ok)[0]
        asked.append(target)
        if kind == 'side':
            qtype = 'from_side' if rng.randint(2) == 0 else 'to_side'
            side = scene['actors'][target]['entry' if qtype == 'from_side' else 'exit']
            out.append(make_question(scene, qtype, -1, side))
        else:
            out.append(make_question(scene, kind, target))
    return out


def question_rng(seed):
    """The PRNG stream for a v2 scene's questions (separate from the scene's own stream and from v1's)."""
    return Rng((seed ^ 0x2F6B7A91) & MASK32)


def eval_item(seed, turns=4):
    scene = make_scene(seed)
    return {'seed': seed, 'scene': scene, 'conversation': conversation(scene, question_rng(seed), turns)}
