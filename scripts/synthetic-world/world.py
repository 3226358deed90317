"""The synthetic video world (Python reference), used to train the toy VLM on the GPU machine.

engine/core/synthetic/world.ts is the same world in TypeScript (the engine's `eval` renders its videos with it); both draw
from the same PRNG in the same order, so a seed gives the same scene, questions and pixels in both. The golden file
test/fixtures/synthetic/golden.json (written by `python3 scripts/synthetic-world/golden.py`) pins that equality.

A scene: a 16 s clip at 4 fps (64 frames, 64x64 RGB). 2-4 objects, each a coloured shape (distinct colours) in its
own quadrant, visible for 4-8 s from its own start time (starts at least 2 s apart), sliding 12 px in one direction.
Pure Python on purpose (no numpy): the training script renders the same rules vectorized in torch.
"""

MASK32 = 0xFFFFFFFF

FPS = 4
NUM_FRAMES = 64  # 16 s
SIZE = 64
QUAD = 32
TRAVEL = 12
MIN_START_GAP = 8  # video frames (2 s): order stays unambiguous when only 8 frames are sampled
BACKGROUND = (16, 16, 16)

COLOURS = [
    ('red', (230, 30, 30)),
    ('green', (30, 190, 40)),
    ('blue', (40, 90, 255)),
    ('yellow', (245, 225, 30)),
    ('white', (245, 245, 245)),
    ('magenta', (230, 40, 210)),
    ('cyan', (30, 215, 225)),
    ('orange', (255, 140, 0)),
]
SHAPES = ['circle', 'square', 'triangle', 'cross']
SHAPE_PLURALS = ['circles', 'squares', 'triangles', 'crosses']
DIRECTIONS = ['left', 'right', 'up', 'down']
COUNT_WORDS = ['0', '1', '2', '3', '4']

# Question types. OBJECT_TYPES ask about one object (what multi-turn sets use for turns 1-2).
OBJECT_TYPES = ['shape_of_colour', 'colour_of_shape', 'exists', 'motion']
GLOBAL_TYPES = ['first', 'last', 'after', 'count', 'count_shape']
ALL_TYPES = OBJECT_TYPES + GLOBAL_TYPES


def imul(a, b):
    return (a * b) & MASK32


class Rng:
    """mulberry32, bit for bit as engine/core/synthetic/prng.ts."""

    def __init__(self, seed):
        self.state = (imul(seed & MASK32, 0x9E3779B1) + 0x7F4A7C15) & MASK32

    def next(self):
        self.state = (self.state + 0x6D2B79F5) & MASK32
        t = self.state
        t = imul(t ^ (t >> 15), t | 1)
        t = ((t + imul(t ^ (t >> 7), t | 61)) & MASK32) ^ t
        return ((t ^ (t >> 14)) & MASK32) / 4294967296.0

    def randint(self, n):
        """Uniform integer in [0, n)."""
        return int(self.next() * n)

    def shuffled(self, items):
        out = list(items)
        for i in range(len(out) - 1, 0, -1):
            j = self.randint(i + 1)
            out[i], out[j] = out[j], out[i]
        return out


def make_scene(seed):
    rng = Rng(seed)
    k = 2 + rng.randint(3)
    colours = rng.shuffled(range(len(COLOURS)))[:k]
    quads = rng.shuffled(range(4))[:k]
    objects = []
    for i in range(k):
        shape = rng.randint(len(SHAPES))
        r = 7 + rng.randint(3)
        direction = rng.randint(4)
        length = 16 + rng.randint(17)  # 4..8 s
        lo, hi = r, QUAD - 1 - r  # centre range inside the quadrant
        moving0 = lo + rng.randint(hi - lo - TRAVEL + 1)
        fixed = lo + rng.randint(hi - lo + 1)
        # left/up start at the high end and move towards lower coordinates
        start_pos = moving0 + TRAVEL if direction in (0, 2) else moving0
        objects.append({
            'colour': colours[i], 'shape': shape, 'radius': r, 'direction': direction, 'length': length,
            'quadrant': quads[i], 'start_pos': start_pos, 'fixed': fixed,
        })
    for _attempt in range(10000):
        starts = [rng.randint(NUM_FRAMES - o['length'] + 1) for o in objects]
        if all(abs(starts[a] - starts[b]) >= MIN_START_GAP for a in range(k) for b in range(a + 1, k)):
            break
    else:
        raise RuntimeError('no start times found for seed %d' % seed)
    for o, s in zip(objects, starts):
        o['start'] = s
    return {'seed': seed, 'objects': objects}


def object_centre(o, n):
    """(cx, cy) in frame pixels at video frame n, or None when the object is not visible."""
    if n < o['start'] or n >= o['start'] + o['length']:
        return None
    step = (TRAVEL * (n - o['start'])) // (o['length'] - 1)
    sign = -1 if o['direction'] in (0, 2) else 1
    moving = o['start_pos'] + sign * step
    qx = (o['quadrant'] % 2) * QUAD
    qy = (o['quadrant'] // 2) * QUAD
    if o['direction'] in (0, 1):
        return qx + moving, qy + o['fixed']
    return qx + o['fixed'], qy + moving


def inside(shape, r, dx, dy):
    if shape == 0:  # circle
        return dx * dx + dy * dy <= r * r
    if shape == 1:  # square
        return abs(dx) <= r - 1 and abs(dy) <= r - 1
    if shape == 2:  # triangle, apex up
        return dy <= r - 1 and 2 * abs(dx) <= dy + r
    arm = r // 3  # cross
    return (abs(dx) <= arm and abs(dy) <= r) or (abs(dy) <= arm and abs(dx) <= r)


def render_frame(scene, n):
    """Video frame n as a bytearray of SIZE*SIZE*3 RGB bytes (row-major)."""
    buf = bytearray(BACKGROUND * (SIZE * SIZE))
    for o in scene['objects']:
        c = object_centre(o, n)
        if c is None:
            continue
        cx, cy = c
        r = o['radius']
        rgb = bytes(COLOURS[o['colour']][1])
        for py in range(max(0, cy - r), min(SIZE, cy + r + 1)):
            for px in range(max(0, cx - r), min(SIZE, cx + r + 1)):
                if inside(o['shape'], r, px - cx, py - cy):
                    at = (py * SIZE + px) * 3
                    buf[at:at + 3] = rgb
    return buf


def describe(o):
    return '%s %s' % (COLOURS[o['colour']][0], SHAPES[o['shape']])


def by_start(scene):
    return sorted(range(len(scene['objects'])), key=lambda i: scene['objects'][i]['start'])


def applicable(scene, qtype, target):
    """Whether qtype can be asked about object index `target` (None for global types)."""
    objs = scene['objects']
    if qtype == 'colour_of_shape':
        return sum(1 for o in objs if o['shape'] == objs[target]['shape']) == 1
    if qtype == 'after':
        return by_start(scene)[-1] != target
    return True


def make_question(scene, qtype, target, rng):
    """One question dict: type, question, answer, targets (object indices the answer depends on)."""
    objs = scene['objects']
    o = objs[target] if target is not None else None
    if qtype == 'shape_of_colour':
        return _q(qtype, 'what shape is the %s object ?' % COLOURS[o['colour']][0], SHAPES[o['shape']], [target])
    if qtype == 'colour_of_shape':
        return _q(qtype, 'what colour is the %s ?' % SHAPES[o['shape']], COLOURS[o['colour']][0], [target])
    if qtype == 'motion':
        return _q(qtype, 'which way did the %s move ?' % describe(o), DIRECTIONS[o['direction']], [target])
    if qtype == 'exists':
        if rng.randint(2) == 0:
            return _q(qtype, 'did a %s appear ?' % describe(o), 'yes', [target])
        used = [x['colour'] for x in objs]
        if rng.randint(2) == 0:  # a colour that is there, with another shape
            shape = (o['shape'] + 1 + rng.randint(len(SHAPES) - 1)) % len(SHAPES)
            return _q(qtype, 'did a %s %s appear ?' % (COLOURS[o['colour']][0], SHAPES[shape]), 'no', [target])
        absent = [c for c in range(len(COLOURS)) if c not in used]
        colour = absent[rng.randint(len(absent))]
        return _q(qtype, 'did a %s %s appear ?' % (COLOURS[colour][0], SHAPES[o['shape']]), 'no', [])
    order = by_start(scene)
    if qtype == 'first':
        return _q(qtype, 'which colour appeared first ?', COLOURS[objs[order[0]]['colour']][0], [order[0]])
    if qtype == 'last':
        return _q(qtype, 'which colour appeared last ?', COLOURS[objs[order[-1]]['colour']][0], [order[-1]])
    if qtype == 'after':
        nxt = order[order.index(target) + 1]
        return _q(qtype, 'which colour appeared after the %s ?' % describe(o), COLOURS[objs[nxt]['colour']][0],
                  [target, nxt])
    if qtype == 'count':
        return _q(qtype, 'how many objects appeared ?', COUNT_WORDS[len(objs)], list(range(len(objs))))
    if qtype == 'count_shape':
        shape = rng.randint(len(SHAPES))
        hits = [i for i, x in enumerate(objs) if x['shape'] == shape]
        return _q(qtype, 'how many %s appeared ?' % SHAPE_PLURALS[shape], COUNT_WORDS[len(hits)], hits)
    raise ValueError('unknown question type %r' % qtype)


def _q(qtype, question, answer, targets):
    return {'type': qtype, 'question': question, 'answer': answer, 'targets': targets}


GLOBAL_WITH_TARGET = ('after',)


def random_question(scene, rng, types=ALL_TYPES):
    """A single-turn question of a type drawn uniformly from `types` (re-drawn until applicable)."""
    k = len(scene['objects'])
    for _attempt in range(1000):
        qtype = types[rng.randint(len(types))]
        needs_target = qtype in OBJECT_TYPES or qtype in GLOBAL_WITH_TARGET
        target = rng.randint(k) if needs_target else None
        if not needs_target or applicable(scene, qtype, target):
            return make_question(scene, qtype, target, rng)
    raise RuntimeError('no applicable question')


def multi_turn_set(scene, rng, turns=3):
    """Turns 1..turns-1 each ask about a different object (so what turn 1 needed is not what turn 2 needs);
    the last turn asks about a third object when there is one, else a whole-video question."""
    k = len(scene['objects'])
    order = rng.shuffled(range(k))
    out = []
    for t in range(turns):
        if t < k and (t < turns - 1 or k >= turns):
            target = order[t]
            types = [q for q in OBJECT_TYPES if applicable(scene, q, target)]
            out.append(make_question(scene, types[rng.randint(len(types))], target, rng))
        else:
            types = ['first', 'last', 'count']
            out.append(make_question(scene, types[rng.randint(len(types))], None, rng))
    return out


def question_rng(seed):
    """The PRNG stream for a scene's questions (separate from the scene's own stream)."""
    return Rng((seed ^ 0x5BD1E995) & MASK32)


def eval_item(seed, single_turn=4, turns=3):
    """What the evaluation asks about one video: `single` questions and one multi-turn `conversation`."""
    scene = make_scene(seed)
    rng = question_rng(seed)
    single = [random_question(scene, rng) for _ in range(single_turn)]
    conversation = multi_turn_set(scene, rng, turns)
    return {'seed': seed, 'scene': scene, 'single': single, 'conversation': conversation}


def fnv1a(data, h=0x811C9DC5):
    for b in data:
        h = ((h ^ b) * 0x01000193) & MASK32
    return h


def time_instruction(duration, frame_times):
    """LLaVA-Video's time instruction, word for word (see engine/core/video/sampling.ts llavaVideoTimeInstruction)."""
    times = ','.join('%.2fs' % t for t in frame_times)
    return ('The video lasts for %.2f seconds, and %d frames are uniformly sampled from it. '
            'These frames are located at %s.Please answer the following questions related to this video.'
            % (duration, len(frame_times), times))


def uniform_indices(total, n):
    """numpy.linspace(0, total - 1, n, dtype=int), as engine/core/video/sampling.ts uniformFrameIndices."""
    if n == 1:
        return [0]
    step = (total - 1) / (n - 1)
    out = [int(i * step) for i in range(n)]
    out[-1] = total - 1
    return out
