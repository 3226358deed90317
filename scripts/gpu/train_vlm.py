"""Trains the toy VLM (LLaVA-OneVision architecture, tiny) on the synthetic video world. Runs on the GPU machine:

  PYTHONUNBUFFERED=1 python3 scripts/gpu/train_vlm.py --tokenizer assets/models/sparsevila-toy-shapes \
      --out $OUT/model --seconds 300

Training runs on tiny_llava.py, a compact PyTorch twin of transformers' LlavaOnevisionForConditionalGeneration with
the same parameter names (a first run through the HF module itself managed only 4 steps/s and did not learn in its
time). At the end the weights are loaded into transformers' own class, the two are checked to give the same logits,
accuracy is measured through transformers, and the folder is written with save_pretrained (the real HF format).

Data are generated on the fly: scenes and questions from scripts/synthetic-world/world.py (the world that
engine/core/synthetic/ renders for `sparsevila eval`), pixels rendered by the same integer rules in torch on the GPU.
Prompts are the engine's (engine/core/session/prompt.ts): ChatML with the template's default system prompt, <video>
expanded to F*16+1 placeholders, LLaVA-Video's time instruction, then the question; under SparseVILA's multi-turn
protocol every turn is such a single-turn prompt over the retained prefix. Some samples drop the system prompt or the
time instruction, some carry text history (several answers with loss), some ask for a description of the whole
video; a training-only auxiliary loss asks linear probes to read each visual token's colour, shape and object centre.
Training-only attention supervision (grounding_losses) teaches the decoder where to look: one retrieval head puts the
answer position's attention on the named object's tokens (binding by shape, not only by colour), one tracking head
makes each visual token attend to its object's tokens in earlier frames, with a motion-direction probe on its output.
--resume with more --text-layers than the checkpoint appends identity-initialized decoder layers. Held-out
evaluation seeds are < 1,000,000; training seeds are above.
"""
import argparse
import contextlib
import json
import math
import os
import random
import re
import shutil
import tarfile
import sys
import time

import torch
import torch.nn.functional as F_

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'synthetic-world'))
sys.path.insert(0, HERE)
import world  # noqa: E402

TRAIN_SEED_MIN = 1_000_000
SYSTEM = '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n'
USER = '<|im_start|>user\n'
ASSIST = '<|im_end|>\n<|im_start|>assistant\n'
END = '<|im_end|>'
PATCH = 8
POOLED = (world.SIZE // PATCH + 1) // 2  # 4x4 tokens per frame


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument('--tokenizer', required=True, help='folder with tokenizer.json and the processor files')
    p.add_argument('--out', required=True)
    p.add_argument('--seconds', type=float, default=300)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--frames', default='8,12,16,16,16,24,32', help='frame counts drawn per batch')
    p.add_argument('--eval-seeds', type=int, default=400)
    p.add_argument('--eval-every', type=int, default=1000)
    p.add_argument('--vision-hidden', type=int, default=128)
    p.add_argument('--vision-layers', type=int, default=4)
    p.add_argument('--text-hidden', type=int, default=192)
    p.add_argument('--text-layers', type=int, default=4)
    p.add_argument('--threads', type=int, default=0)
    p.add_argument('--workers', type=int, default=6)
    p.add_argument('--aux-weight', type=float, default=0.5)
    p.add_argument('--type-weights', default='', help='e.g. colour_of_shape=3,exists=3 (single-turn question mix)')
    p.add_argument('--data-seed', type=int, default=7)
    p.add_argument('--warmup', type=int, default=100)
    p.add_argument('--no-hf', action='store_true', help='skip the transformers export (CPU learning checks)')
    p.add_argument('--resume', default='', help='twin state_dict (.pt) to start from')
    p.add_argument('--ground-weight', type=float, default=0.5, help='weight of the attention supervision (0: off)')
    p.add_argument('--centre-weight', type=float, default=1.0, help='weight of the per-token object-centre probe')
    p.add_argument('--retrieval-layer', type=int, default=2)
    p.add_argument('--retrieval-head', type=int, default=0)
    p.add_argument('--track-layer', type=int, default=1)
    p.add_argument('--track-head', type=int, default=0)
    p.add_argument('--cosine-from', type=float, default=0.7, help='fraction of the time after which lr decays')
    return p.parse_args()


def twin_config(vocab_size, ids, args):
    return {'vocab': vocab_size, 'image': world.SIZE, 'patch': PATCH,
            'v_hidden': args.vision_hidden, 'v_layers': args.vision_layers, 'v_heads': 4, 'v_inner': args.vision_hidden * 3,
            't_hidden': args.text_hidden, 't_layers': args.text_layers, 't_heads': 4, 't_kv_heads': 2,
            't_inner': args.text_hidden * 8 // 3, 'rope_theta': 10000.0, 'video_token_id': ids['<video>']}


class WordTokenizer:
    """tokenizer.json's rules in plain Python (added tokens, Lowercase, Whitespace split, whole-word WordPiece), for
    machines without the `tokenizers` package; checked against `tokenizers` where it exists."""

    def __init__(self, path):
        with open(path) as f:
            j = json.load(f)
        self.vocab = j['model']['vocab']
        self.inv = {i: t for t, i in self.vocab.items()}
        self.specials = [a['content'] for a in j['added_tokens']]
        self.split = re.compile('(' + '|'.join(re.escape(x) for x in self.specials) + ')')
        self.unk = self.vocab['[UNK]']

    def encode_ids(self, text):
        out = []
        for part in self.split.split(text):
            if part in self.specials:
                out.append(self.vocab[part])
            else:
                out += [self.vocab.get(w, self.unk) for w in re.findall(r'\w+|[^\w\s]+', part.lower())]
        return out

    def token_to_id(self, t):
        return self.vocab.get(t)

    def id_to_token(self, i):
        return self.inv[i]

    def get_vocab_size(self):
        return len(self.vocab)


# ---------------------------------------------------------------------------------------------------------------
# model


def build_model(vocab_size, ids, args, image_size=world.SIZE):
    from transformers import LlavaOnevisionConfig, LlavaOnevisionForConditionalGeneration, Qwen2Config, SiglipVisionConfig
    vision = SiglipVisionConfig(
        hidden_size=args.vision_hidden, intermediate_size=args.vision_hidden * 3, num_hidden_layers=args.vision_layers,
        num_attention_heads=4, num_channels=3, image_size=image_size, patch_size=PATCH,
        hidden_act='gelu_pytorch_tanh', layer_norm_eps=1e-6, attention_dropout=0.0, vision_use_head=False)
    text = Qwen2Config(
        vocab_size=vocab_size, hidden_size=args.text_hidden, intermediate_size=args.text_hidden * 8 // 3,
        num_hidden_layers=args.text_layers, num_attention_heads=4, num_key_value_heads=2,
        max_position_embeddings=4096, rms_norm_eps=1e-6, hidden_act='silu', tie_word_embeddings=False,
        bos_token_id=None, eos_token_id=ids['<|im_end|>'], pad_token_id=ids['<|endoftext|>'], use_cache=True)
    cfg = LlavaOnevisionConfig(
        vision_config=vision, text_config=text, image_token_index=ids['<image>'], video_token_index=ids['<video>'],
        projector_hidden_act='gelu', vision_feature_select_strategy='full', vision_feature_layer=-1,
        vision_aspect_ratio='anyres_max_9', image_grid_pinpoints=[[image_size, image_size]], tie_word_embeddings=False)
    for name, tok in (('image_token_id', '<image>'), ('video_token_id', '<video>'),
                      ('image_token_index', '<image>'), ('video_token_index', '<video>')):
        try:
            setattr(cfg, name, ids[tok])
        except Exception as e:  # a read-only alias in some versions
            print('config: cannot set %s (%s)' % (name, e))
    cfg.eos_token_id = ids['<|im_end|>']
    cfg.pad_token_id = ids['<|endoftext|>']
    model = LlavaOnevisionForConditionalGeneration(cfg)
    assert model.config.video_token_id == ids['<video>'], 'video token id not taken'
    return model


def patch_config_json(out_dir, ids):
    path = os.path.join(out_dir, 'config.json')
    with open(path) as f:
        c = json.load(f)
    c['image_token_id'] = c['image_token_index'] = ids['<image>']
    c['video_token_id'] = c['video_token_index'] = ids['<video>']
    with open(path, 'w') as f:
        json.dump(c, f, indent=2)
        f.write('\n')
    gen = {'bos_token_id': None, 'eos_token_id': [ids['<|im_end|>'], ids['<|endoftext|>']],
           'pad_token_id': ids['<|endoftext|>'], 'do_sample': False, 'max_new_tokens': 16}
    with open(os.path.join(out_dir, 'generation_config.json'), 'w') as f:
        json.dump(gen, f, indent=2)
        f.write('\n')


# ---------------------------------------------------------------------------------------------------------------
# pixels: world.render_frame's rules, vectorized


COLOUR_TABLE = torch.tensor([rgb for _, rgb in world.COLOURS], dtype=torch.int32)


def scene_tensors(scenes, device):
    """Per-object parameters padded to 4 objects: dict of int32 [B, 4] tensors (valid marks real objects)."""
    keys = ['colour', 'shape', 'radius', 'direction', 'length', 'quadrant', 'start_pos', 'fixed', 'start']
    rows = {k: [] for k in keys}
    valid = []
    for s in scenes:
        objs = s['objects']
        for k in keys:
            rows[k].append([o[k] for o in objs] + [0] * (4 - len(objs)))
        valid.append([1] * len(objs) + [0] * (4 - len(objs)))
    out = {k: torch.tensor(v, dtype=torch.int32, device=device) for k, v in rows.items()}
    out['valid'] = torch.tensor(valid, dtype=torch.bool, device=device)
    out['length'] = torch.clamp(out['length'], min=2)
    return out


def render_batch(st, frame_idx, with_labels=False):
    """st: scene_tensors; frame_idx int32 [B, F] video frame numbers -> uint8 [B, F, 64, 64, 3]
    (and, with_labels, token_labels' per-token supervision for the training-only auxiliary losses)."""
    dev = frame_idx.device
    B, F = frame_idx.shape
    n = frame_idx[:, :, None]  # [B,F,1]
    g = lambda k: st[k][:, None, :]  # [B,1,4]
    start, length = g('start'), g('length')
    visible = (n >= start) & (n < start + length) & g('valid')
    step = torch.div(world.TRAVEL * torch.clamp(n - start, min=0), length - 1, rounding_mode='floor')
    direction = g('direction')
    sign = torch.where((direction == 0) | (direction == 2), -1, 1)
    moving = g('start_pos') + sign * step
    qx = (g('quadrant') % 2) * world.QUAD
    qy = torch.div(g('quadrant'), 2, rounding_mode='floor') * world.QUAD
    horizontal = direction <= 1
    cx = torch.where(horizontal, qx + moving, qx + g('fixed'))
    cy = torch.where(horizontal, qy + g('fixed'), qy + moving)
    coords = torch.arange(world.SIZE, device=dev, dtype=torch.int32)
    dx = coords[None, None, None, None, :] - cx[..., None, None]  # [B,F,4,1,64]
    dy = coords[None, None, None, :, None] - cy[..., None, None]  # [B,F,4,64,1]
    r = g('radius')[..., None, None]
    shape = g('shape')[..., None, None]
    adx, ady = dx.abs(), dy.abs()
    circle = dx * dx + dy * dy <= r * r
    square = (adx <= r - 1) & (ady <= r - 1)
    triangle = (dy <= r - 1) & (2 * adx <= dy + r)
    arm = torch.div(r, 3, rounding_mode='floor')
    cross = ((adx <= arm) & (ady <= r)) | ((ady <= arm) & (adx <= r))
    inside = torch.where(shape == 0, circle, torch.where(shape == 1, square, torch.where(shape == 2, triangle, cross)))
    inside = inside & visible[..., None, None]  # [B,F,4,64,64]
    canvas = torch.tensor(world.BACKGROUND, dtype=torch.int32, device=dev).expand(B, F, world.SIZE, world.SIZE, 3)
    table = COLOUR_TABLE.to(dev)
    for k in range(4):
        rgb = table[st['colour'][:, k].long()][:, None, None, None, :]  # [B,1,1,1,3]
        canvas = torch.where(inside[:, :, k, :, :, None], rgb, canvas)
    if not with_labels:
        return canvas.to(torch.uint8)
    return canvas.to(torch.uint8), token_labels(st, inside, cx, cy)


def token_labels(st, inside, cx, cy):
    """Per pooled token (a 16x16 pixel cell), F*16 per sample, training-only supervision:
    colour / shape: class 1..8 / 1..4 of the object covering most of the cell (at least 24 px), else 0;
    who: that object's index (0..3), present: whether there is one; centre: its centre in the frame, scaled to [-1, 1];
    cover [.., 4]: which objects cover at least 8 px of the cell (the tokens an answer about that object should read)."""
    B, F, K, H, W = inside.shape
    cell = world.SIZE // POOLED
    counts = inside.view(B, F, K, POOLED, cell, POOLED, cell).sum(dim=(4, 6))  # [B,F,K,4,4]
    best, who = counts.max(dim=2)  # [B,F,4,4]
    present = best >= 24
    colour = torch.gather(st['colour'].long(), 1, who.view(B, -1)).view_as(who) + 1
    shape = torch.gather(st['shape'].long(), 1, who.view(B, -1)).view_as(who) + 1
    colour = torch.where(present, colour, torch.zeros_like(colour))
    shape = torch.where(present, shape, torch.zeros_like(shape))
    n = F * POOLED * POOLED
    who_f = who.view(B, F, POOLED * POOLED)
    centre = torch.stack([torch.gather(c.expand(B, F, K).float(), 2, who_f) for c in (cx, cy)], -1)  # [B,F,16,2]
    centre = (centre - world.SIZE / 2) / (world.SIZE / 2)
    cover = (counts >= 8).permute(0, 1, 3, 4, 2).reshape(B, n, K)
    direction = torch.gather(st['direction'].long(), 1, who.view(B, -1))
    return {'colour': colour.reshape(B, n), 'shape': shape.reshape(B, n), 'who': who.reshape(B, n),
            'direction': direction,
            'present': present.reshape(B, n), 'centre': centre.reshape(B, n, 2), 'cover': cover}


def to_pixel_values(frames_u8, noise=0):
    """uint8 [B,F,H,W,3] -> float32 [B,F,3,H,W]: rescale 1/255, normalize mean=std=0.5 (preprocessor_config.json)."""
    x = frames_u8.float()
    if noise:
        x = (x + torch.randint(-noise, noise + 1, x.shape, device=x.device).float()).clamp(0, 255)
    x = x * (1 / 255)
    x = (x - 0.5) / 0.5
    return x.permute(0, 1, 4, 2, 3).contiguous()


def check_renderer(device):
    """The torch renderer must reproduce world.render_frame exactly."""
    scenes = [world.make_scene(s) for s in range(5)]
    idx = torch.tensor([list(range(world.NUM_FRAMES))] * len(scenes), dtype=torch.int32, device=device)
    got = render_batch(scene_tensors(scenes, device), idx).cpu()
    bad = 0
    for b, s in enumerate(scenes):
        for n in range(0, world.NUM_FRAMES, 7):
            ref = torch.tensor(list(world.render_frame(s, n)), dtype=torch.uint8).view(world.SIZE, world.SIZE, 3)
            bad += int((ref != got[b, n]).any())
    print('renderer check: %d mismatching frames' % bad)
    assert bad == 0


# ---------------------------------------------------------------------------------------------------------------
# prompts


class Prompts:
    def __init__(self, tok):
        self.tok = tok
        self.cache = {}
        self.ids = {t: tok.token_to_id(t) for t in ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<video>', '<image>']}

    def enc(self, text):
        v = self.cache.get(text)
        if v is None:
            v = self.tok.encode_ids(text)
            if len(self.cache) < 200000:
                self.cache[text] = v
        return v

    def prefix(self, frame_idx, system=True, time=True):
        """Prompt tokens before the question, with ONE <video> (expanded later)."""
        text = (SYSTEM if system else '') + USER + '<video>\n'
        if time:
            times = [i / world.FPS for i in frame_idx]
            text += world.time_instruction(world.NUM_FRAMES / world.FPS, times) + '\n'
        return self.enc(text)

    def sample(self, frame_idx, turns, system=True, time=True):
        """turns: [(question, answer)], every answer carries the loss (later turns as "text history").
        Returns (ids, labels) with <video> expanded to F*POOLED^2+1 placeholders."""
        ids, labels, _, _ = self.sample_with_queries(frame_idx, turns, system, time)
        return ids, labels

    def sample_with_queries(self, frame_idx, turns, system=True, time=True):
        """As sample; turns may carry a third item, the object indices the answer depends on. Also returns
        queries [(position whose logits give the answer's first token, targets)] and the first video position."""
        video_id = self.ids['<video>']
        n_video = len(frame_idx) * POOLED * POOLED + 1
        ids, labels, queries = [], [], []
        video_start = -1
        for t in self.prefix(frame_idx, system, time):
            if t == video_id:
                video_start = len(ids)
                ids += [video_id] * n_video
                labels += [-100] * n_video
            else:
                ids.append(t)
                labels.append(-100)
        for i, turn in enumerate(turns):
            q, a = turn[0], turn[1]
            seg = self.enc(('' if i == 0 else '\n' + USER) + q + ASSIST)
            ids += seg
            labels += [-100] * len(seg)
            if len(turn) > 2 and turn[2]:
                queries.append((len(ids) - 1, turn[2]))
            ans = self.enc(a) + [self.ids['<|im_end|>']]
            ids += ans
            labels += ans
        return ids, labels, queries, video_start


def describe(scene):
    """Training-only dense supervision: every object, in order of appearance."""
    objs = scene['objects']
    return ('describe the video .', ' '.join(world.describe(objs[i]) for i in world.by_start(scene)))


# question types whose answer-predicting position gets the retrieval supervision (their targets are objects the question
# names); first/last/count are left to the model (already ~100 %, and "the first object" is not named)
GROUNDED_TYPES = ('shape_of_colour', 'colour_of_shape', 'exists', 'motion', 'after', 'count_shape')


def grounded_turn(q):
    return q['question'], q['answer'], q['targets'] if q['type'] in GROUNDED_TYPES else []


def draw_turns(scene, qrng, rng, types=world.ALL_TYPES):
    """types: question types to draw from (repeats weight a type). Turns are (question, answer, targets)."""
    r = rng.random()
    if r < 0.5:
        return [grounded_turn(world.random_question(scene, qrng, types))]
    if r < 0.6:
        return [describe(scene)]
    if r < 0.75:
        qs = world.multi_turn_set(scene, qrng, turns=rng.choice([2, 3]))
        return [grounded_turn(q) for q in qs]
    qs = [world.random_question(scene, qrng, types) for _ in range(rng.choice([2, 3, 4, 5]))]
    return [grounded_turn(q) for q in qs]


def weighted_types(spec):
    """'colour_of_shape=3,exists=2' -> a type list with repeats (types not named keep weight 1)."""
    w = {t: 1 for t in world.ALL_TYPES}
    for part in filter(None, spec.split(',')):
        name, n = part.split('=')
        if name not in w:
            raise SystemExit('unknown question type %s' % name)
        w[name] = int(n)
    return [t for t in world.ALL_TYPES for _ in range(w[t])]


def cpu_batch(prompts, rng, batch, frames, noise_p=0.5, types=world.ALL_TYPES):
    """Everything but the pixels (rendered on the GPU): input_ids, labels, per-object scene tensors, frame indices."""
    F = frames
    scenes, seqs = [], []
    frame_rows = []
    for _ in range(batch):
        seed = rng.randrange(TRAIN_SEED_MIN, 2 ** 31)
        scene = world.make_scene(seed)
        qrng = world.Rng(rng.randrange(2 ** 32))
        if rng.random() < 0.75:
            idx = world.uniform_indices(world.NUM_FRAMES, F)
        else:  # jittered uniform sampling, so a decoder's slightly different frame picks do not matter
            idx = sorted(min(world.NUM_FRAMES - 1, int((i + rng.random()) * world.NUM_FRAMES / F)) for i in range(F))
        turns = draw_turns(scene, qrng, rng, types)
        system = rng.random() < 0.85
        time_ = rng.random() < 0.8
        seqs.append(prompts.sample_with_queries(idx, turns, system, time_))
        scenes.append(scene)
        frame_rows.append(idx)
    L = max(len(s[0]) for s in seqs)
    L = (L + 31) // 32 * 32
    pad = prompts.ids['<|endoftext|>']
    input_ids = torch.full((batch, L), pad, dtype=torch.long)
    labels = torch.full((batch, L), -100, dtype=torch.long)
    nq = max(1, max(len(s[2]) for s in seqs))
    q_pos = torch.full((batch, nq), -1, dtype=torch.long)  # -1: no query
    q_targets = torch.zeros((batch, nq, 4), dtype=torch.bool)
    video_start = torch.zeros(batch, dtype=torch.long)
    for b, (ids, lab, queries, vs) in enumerate(seqs):
        input_ids[b, :len(ids)] = torch.tensor(ids)
        labels[b, :len(lab)] = torch.tensor(lab)
        video_start[b] = vs
        for n, (pos, targets) in enumerate(queries):
            q_pos[b, n] = pos
            q_targets[b, n, targets] = True
    st = scene_tensors(scenes, 'cpu')
    fidx = torch.tensor(frame_rows, dtype=torch.int32)
    noise = 3 if rng.random() < noise_p else 0
    return input_ids, labels, st, fidx, noise, (q_pos, q_targets, video_start)


def gpu_batch(cpu, device):
    input_ids, labels, st, fidx, noise, (q_pos, q_targets, video_start) = cpu
    st = {k: v.to(device, non_blocking=True) for k, v in st.items()}
    frames_u8, aux = render_batch(st, fidx.to(device), with_labels=True)
    aux.update(q_pos=q_pos.to(device), q_targets=q_targets.to(device), video_start=video_start.to(device))
    pix = to_pixel_values(frames_u8, noise)
    return input_ids.to(device, non_blocking=True), labels.to(device, non_blocking=True), pix, aux


def make_batch(prompts, rng, batch, device, frames, noise_p=0.5):
    return gpu_batch(cpu_batch(prompts, rng, batch, frames, noise_p), device)[:3]


class BatchStream(torch.utils.data.IterableDataset):
    """Endless CPU-side batches from worker processes (each with its own random stream)."""

    def __init__(self, tokenizer_path, batch, frame_choices, seed, types):
        self.tokenizer_path, self.batch, self.frame_choices, self.seed = tokenizer_path, batch, frame_choices, seed
        self.types = types

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        rng = random.Random(self.seed * 1000 + (info.id if info else 0))
        prompts = Prompts(WordTokenizer(self.tokenizer_path))
        while True:
            yield cpu_batch(prompts, rng, self.batch, rng.choice(self.frame_choices), types=self.types)


def lm_loss(logits, labels):
    return F_.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(), labels[:, 1:].reshape(-1),
                            ignore_index=-100)


def video_layout(aux, T):
    """Per sequence position: the video-local token index (-1 outside the video), its frame, and which objects cover it."""
    vs = aux['video_start']
    n = aux['cover'].shape[1]
    loc = torch.arange(T, device=vs.device)[None, :] - vs[:, None]  # [B,T]
    inside = (loc >= 0) & (loc < n)
    loc_c = loc.clamp(0, n - 1)
    frame = torch.where(inside, torch.div(loc_c, POOLED * POOLED, rounding_mode='floor'), torch.full_like(loc, -1))
    cover = torch.gather(aux['cover'], 1, loc_c[..., None].expand(-1, -1, aux['cover'].shape[2])) & inside[..., None]
    return loc, frame, cover


def target_nll(q, k, rows, target, causal_limit):
    """-log(attention mass on target keys) for query rows: q [B,H,T,d] k [B,H,T,d] (one head picked by the caller),
    rows [B,R] positions, target [B,R,T] bool, keys > causal_limit [B,R] masked. Returns (sum, count) over rows with
    any target."""
    d = q.shape[-1]
    qr = torch.gather(q, 1, rows[..., None].expand(-1, -1, d)).float()  # [B,R,d]
    scores = qr @ k.float().transpose(1, 2) / math.sqrt(d)  # [B,R,T]
    keys = torch.arange(k.shape[1], device=k.device)
    scores = scores.masked_fill(keys[None, None, :] > causal_limit[..., None], float('-inf'))
    valid = target.any(-1)
    lse_all = torch.logsumexp(scores, -1)
    lse_t = torch.logsumexp(scores.masked_fill(~target, -1e9), -1)  # finite: rows without targets keep 0 gradients
    nll = torch.where(valid, lse_all - lse_t, torch.zeros_like(lse_all))
    return nll.sum(), valid.sum()


def grounding_losses(model, aux, probes, args):
    """Training-only supervision of WHERE the decoder looks (the answer needs it, the LM loss alone did not find it):
    - retrieval: at the position that predicts an answer, one head of layer --retrieval-layer puts its attention on the
      visual tokens of the objects the answer depends on (question 'targets'): binding by shape, colour, or both;
    - tracking: at each visual token of an object, one head of layer --track-layer attends to the same object's tokens
      in earlier frames, and a linear probe on that layer's output reads the object's motion direction (12 px of travel,
      less than a pooled 16-px cell: the per-token centre probe keeps position readable, the comparison happens here).
    Returns a dict of losses."""
    lm = model.model.language_model
    out = {}
    q_pos, q_tgt = aux['q_pos'], aux['q_targets']
    qr, kr = lm.layers[args.retrieval_layer].self_attn.qk
    B, H, T, d = qr.shape
    loc, frame, cover = video_layout(aux, T)
    h = args.retrieval_head
    rows = q_pos.clamp(min=0)
    target = (cover[:, None, :, :] & q_tgt[:, :, None, :]).any(-1) & (q_pos >= 0)[..., None]  # [B,R,T]
    s_, n_ = target_nll(qr[:, h], kr[:, h], rows, target, rows)
    out['retrieval'] = s_ / n_.clamp(min=1)
    qt, kt = lm.layers[args.track_layer].self_attn.qk
    n = aux['cover'].shape[1]
    vs = aux['video_start']
    vrows = vs[:, None] + torch.arange(n, device=vs.device)[None, :]  # [B,n]
    who = aux['who']  # [B,n]
    vframe = torch.div(torch.arange(n, device=vs.device), POOLED * POOLED, rounding_mode='floor')[None, :].expand(B, n)
    same = torch.gather(cover.permute(0, 2, 1), 1, who[:, :, None].expand(-1, -1, T))  # [B,n,T]: covered by my object
    earlier = (frame[:, None, :] >= 0) & (frame[:, None, :] < vframe[..., None])
    target = same & earlier & aux['present'][..., None]
    s_, n_ = target_nll(qt[:, args.track_head], kt[:, args.track_head], vrows, target, vrows)
    out['track'] = s_ / n_.clamp(min=1)
    hid = lm.hidden[args.track_layer]
    vh = torch.gather(hid, 1, vrows[..., None].expand(-1, -1, hid.shape[-1]))
    has_past = target.any(-1)
    logits = probes['direction'](vh).float()
    ce = F_.cross_entropy(logits.flatten(0, 1), aux['direction'].flatten(), reduction='none')
    out['direction'] = (ce * has_past.flatten()).sum() / has_past.sum().clamp(min=1)
    return out


def set_capture(model, args, on):
    lm = model.model.language_model
    lm.keep_hidden = on
    for i, layer in enumerate(lm.layers):
        layer.self_attn.keep_qk = on and i in (args.retrieval_layer, args.track_layer)
        layer.self_attn.qk = None
    if not on:
        lm.hidden = []


# ---------------------------------------------------------------------------------------------------------------
# evaluation: greedy answer = argmax at the position after "assistant" (every eval answer is one token)


@torch.no_grad()
def evaluate(forward, prompts, device, seeds, frames=16, system=True, time_=True, conversation=False):
    """forward(input_ids, pix) -> logits. Right padding: causal attention keeps pads out of real positions."""
    per_type = {}
    correct = total = 0
    for start in range(0, len(seeds), 50):
        chunk = seeds[start:start + 50]
        items = [world.eval_item(s) for s in chunk]
        idx = world.uniform_indices(world.NUM_FRAMES, frames)
        rows, answers, types, scenes = [], [], [], []
        for it in items:
            qs = it['conversation'] if conversation else it['single']
            for q in qs:
                ids, _ = prompts.sample(idx, [(q['question'], q['answer'])], system, time_)
                n_ans = len(prompts.enc(q['answer'])) + 1
                rows.append(ids[:-n_ans])
                answers.append(prompts.enc(q['answer'])[0])
                types.append(q['type'])
                scenes.append(it['scene'])
        L = max(len(r) for r in rows)
        pad = prompts.ids['<|endoftext|>']
        input_ids = torch.full((len(rows), L), pad, dtype=torch.long)
        last = []
        for b, r in enumerate(rows):
            input_ids[b, :len(r)] = torch.tensor(r)
            last.append(len(r) - 1)
        st = scene_tensors(scenes, device)
        fidx = torch.tensor([idx] * len(rows), dtype=torch.int32, device=device)
        pix = to_pixel_values(render_batch(st, fidx))
        logits = forward(input_ids.to(device), pix)
        pred = logits[torch.arange(len(rows)), torch.tensor(last)].argmax(-1).cpu().tolist()
        for p, a, t in zip(pred, answers, types):
            ok = int(p == a)
            correct += ok
            total += 1
            c = per_type.setdefault(t, [0, 0])
            c[0] += ok
            c[1] += 1
    return correct / max(1, total), {t: round(c[0] / c[1], 3) for t, c in sorted(per_type.items())}


# ---------------------------------------------------------------------------------------------------------------


def save_model(model, args, ids, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    model.save_pretrained(out_dir)
    patch_config_json(out_dir, ids)
    for name in os.listdir(args.tokenizer):
        if name.endswith('.json') and name not in ('config.json', 'generation_config.json', 'train_results.json'):
            shutil.copy(os.path.join(args.tokenizer, name), os.path.join(out_dir, name))


def export_hf(twin, args, ids, prompts, device, results):
    """Load the twin's weights (rounded to bf16, as saved) into transformers' own class, check both agree, evaluate
    through transformers, save_pretrained, and write a logits reference for the engine's parity test."""
    from transformers import LlavaOnevisionForConditionalGeneration  # noqa: F401
    # exact fp32 for the reference: no TF32 anywhere, eager attention (as the engine's parity fixtures)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    hf = build_model(twin.cfg['vocab'], ids, args)
    try:
        hf.set_attn_implementation('eager')
    except Exception as e:
        print('set_attn_implementation failed (%r); keeping the default' % e)
    state = {k: v.detach().to(torch.bfloat16).float() for k, v in twin.state_dict().items()}
    hf_keys = set(hf.state_dict().keys())
    rename = lambda k: k if k in hf_keys else k.replace('model.vision_tower.vision_model.', 'model.vision_tower.')
    missing, unexpected = hf.load_state_dict({rename(k): v for k, v in state.items()}, strict=False)
    print('hf load: missing', missing, 'unexpected', unexpected)
    assert not unexpected and all('position_ids' in m for m in missing), 'twin and HF parameter names differ'
    twin.load_state_dict(state)
    hf = hf.to(device).eval()
    twin.eval()
    it = world.eval_item(0)
    q = it['single'][0]
    idx = world.uniform_indices(world.NUM_FRAMES, 16)
    ids_, _ = prompts.sample(idx, [(q['question'], q['answer'])])
    ids_ = ids_[:-(len(prompts.enc(q['answer'])) + 1)]
    pix = to_pixel_values(render_batch(scene_tensors([it['scene']], device),
                                       torch.tensor([idx], dtype=torch.int32, device=device)))
    inp = torch.tensor([ids_], device=device)
    with torch.no_grad():
        ref = hf(input_ids=inp, pixel_values_videos=pix).logits.float()
        mine = twin(inp, pix).float()
    rel = ((ref - mine).abs().max() / ref.abs().max()).item()
    print('twin vs transformers logits: max|d|/max|ref| = %.2e' % rel)
    results['twin_vs_hf_rel_err'] = rel
    from safetensors.torch import save_file
    save_file({'input_ids': inp.cpu().to(torch.int64), 'pixel_values_videos': pix.cpu().contiguous(),
               'logits': ref.cpu().contiguous()}, os.path.join(os.path.dirname(args.out), 'reference.safetensors'))
    print('reference: question %r answer %r predicted %r' % (q['question'], q['answer'],
                                                            prompts.tok.id_to_token(int(ref[0, -1].argmax()))))
    save_model(hf.to(torch.bfloat16), args, ids, args.out)
    with tarfile.open(args.out + '.tgz', 'w:gz') as tf:
        tf.add(args.out, arcname=os.path.basename(args.out))
    print('saved', sorted(os.listdir(args.out)), flush=True)
    hf = hf.to(torch.float32)
    hf_forward = lambda i, p: hf(input_ids=i, pixel_values_videos=p).logits
    for name, kw in [('hf_single_system_time', dict()), ('hf_conversation_turns', dict(conversation=True))]:
        acc, per = evaluate(hf_forward, prompts, device, list(range(args.eval_seeds)), **kw)
        results[name] = {'acc': round(acc, 4), 'per_type': per}
        print('eval %-24s %.4f %s' % (name, acc, per), flush=True)


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    from tiny_llava import TinyLlavaOnevision
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    torch.manual_seed(0)
    rng = random.Random(1234)
    tok = WordTokenizer(os.path.join(args.tokenizer, 'tokenizer.json'))
    prompts = Prompts(tok)
    ids = prompts.ids
    try:
        from tokenizers import Tokenizer
        real = Tokenizer.from_file(os.path.join(args.tokenizer, 'tokenizer.json'))
        probe = [prompts.prefix(world.uniform_indices(64, n)) for n in (8, 16)]
        texts = [SYSTEM + USER + '<video>\n' + world.time_instruction(16, [0.25 * i for i in range(16)]) +
                 '\nWhat shape is the red object ?' + ASSIST + 'square' + END, 'Zebra 123s, Hello!?']
        for t in texts:
            assert real.encode(t, add_special_tokens=False).ids == tok.encode_ids(t), t
        print('WordTokenizer agrees with tokenizers', len(probe))
    except ImportError:
        print('tokenizers not installed: using WordTokenizer only')
    frame_choices = [int(x) for x in args.frames.split(',')]
    check_renderer(device)

    model = TinyLlavaOnevision(twin_config(tok.get_vocab_size(), ids, args)).to(device)
    if args.resume:
        state = torch.load(args.resume, map_location=device)
        missing, unexpected = model.load_state_dict(state, strict=False)
        assert not unexpected, unexpected
        grown = sorted({int(k.split('.')[3]) for k in missing if k.startswith('model.language_model.layers.')})
        assert all(k.startswith('model.language_model.layers.') for k in missing), missing
        with torch.no_grad():  # decoder layers added on top of a trained one start as identities (zero residual writes)
            for i in grown:
                model.model.language_model.layers[i].self_attn.o_proj.weight.zero_()
                model.model.language_model.layers[i].mlp.down_proj.weight.zero_()
        print('resumed from %s; new decoder layers %s' % (args.resume, grown))
    n_params = sum(p.numel() for p in model.parameters())
    print('params %.2fM device %s' % (n_params / 1e6, device))

    # training-only linear probes on the visual tokens (not part of the saved model)
    aux_heads = torch.nn.ModuleList([torch.nn.Linear(args.text_hidden, 1 + len(world.COLOURS)),
                                     torch.nn.Linear(args.text_hidden, 1 + len(world.SHAPES))]).to(device)
    probes = torch.nn.ModuleDict({'centre': torch.nn.Linear(args.text_hidden, 2),
                                  'direction': torch.nn.Linear(args.text_hidden, len(world.DIRECTIONS))}).to(device)
    aux_heads.append(probes)
    named = list(model.named_parameters()) + [('aux.' + n, p) for n, p in aux_heads.named_parameters()]
    params = [p for _, p in named]
    decay = [p for n, p in named if p.dim() >= 2 and 'embed' not in n]
    no_decay = [p for n, p in named if not (p.dim() >= 2 and 'embed' not in n)]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.05}, {'params': no_decay, 'weight_decay': 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-8)
    warmup = args.warmup
    t0 = time.time()
    step = 0
    log = []
    model.train()
    use_amp = device == 'cuda'
    twin_forward = lambda i, p: model(i, p)
    amp = (lambda: torch.autocast('cuda', dtype=torch.bfloat16)) if use_amp else contextlib.nullcontext
    workers = args.workers if device == 'cuda' else 0
    loader = torch.utils.data.DataLoader(BatchStream(os.path.join(args.tokenizer, 'tokenizer.json'), args.batch, frame_choices, args.data_seed,
                                                    weighted_types(args.type_weights)),
                                         batch_size=None, num_workers=workers, pin_memory=device == 'cuda',
                                         **(dict(prefetch_factor=4, persistent_workers=True) if workers else {}))
    stream = iter(loader)
    wait_s = 0.0
    while True:
        elapsed = time.time() - t0
        if elapsed > args.seconds:
            break
        frac = elapsed / args.seconds
        # constant after warmup, cosine down over the last 30% of the time
        c0 = args.cosine_from
        decay_f = 1.0 if frac < c0 else 0.5 * (1 + math.cos(math.pi * (frac - c0) / (1 - c0)))
        lr = args.lr * min(1.0, (step + 1) / warmup) * (0.03 + 0.97 * decay_f)
        for g in opt.param_groups:
            g['lr'] = lr
        tb = time.time()
        input_ids, labels, pix, aux = gpu_batch(next(stream), device)
        wait_s += time.time() - tb
        grounding = args.ground_weight > 0
        set_capture(model, args, grounding)
        with amp():
            logits, feats = model(input_ids, pix, return_features=True)
            vis = feats[:, :-1]  # the visual tokens without the image_newline
            aux_loss = F_.cross_entropy(aux_heads[0](vis).flatten(0, 1).float(), aux['colour'].flatten()) \
                + F_.cross_entropy(aux_heads[1](vis).flatten(0, 1).float(), aux['shape'].flatten())
            pres = aux['present'].float()
            centre_err = ((probes['centre'](vis).float() - aux['centre']) ** 2).sum(-1)
            centre_loss = (centre_err * pres).sum() / pres.sum().clamp(min=1)
            g = grounding_losses(model, aux, probes, args) if grounding else {}
        set_capture(model, args, False)
        loss = lm_loss(logits, labels)
        total_loss = loss + args.aux_weight * aux_loss + args.centre_weight * centre_loss \
            + args.ground_weight * sum(g.values(), torch.zeros((), device=loss.device))
        opt.zero_grad(set_to_none=True)
        total_loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        if step % 50 == 0:
            gs = ' '.join('%s %.3f' % (k, v.item()) for k, v in g.items())
            print('step %d t=%.0fs loss %.4f aux %.4f centre %.4f %s lr %.2e (waiting for data %.0f%%)' % (
                step, elapsed, loss.item(), aux_loss.item(), centre_loss.item(), gs, lr,
                100 * wait_s / max(elapsed, 1e-9)), flush=True)
            entry = {'step': step, 't': round(elapsed, 1), 'loss': round(loss.item(), 4)}
            entry.update({k: round(v.item(), 4) for k, v in g.items()})
            log.append(entry)
        if step % args.eval_every == 0:
            model.eval()
            with amp():
                acc, per = evaluate(twin_forward, prompts, device, list(range(50)))
            model.train()
            print('  held-out single-turn acc (50 videos) %.3f %s' % (acc, per), flush=True)
            os.makedirs(os.path.dirname(args.out) or '.', exist_ok=True)  # a checkpoint, in case the call runs out
            torch.save(model.state_dict(), os.path.join(os.path.dirname(args.out) or '.', 'twin.pt'))
    print('trained %d steps in %.0fs' % (step, time.time() - t0))
    os.makedirs(args.out, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(os.path.dirname(args.out) or '.', 'twin.pt'))

    model.eval()
    with torch.no_grad():  # bf16-rounded weights, as exported
        for p_ in model.parameters():
            p_.copy_(p_.to(torch.bfloat16).float())
    results = {'steps': step, 'params': n_params, 'train_seconds': args.seconds, 'log': log}
    for name, kw in [('single_system_time', dict()), ('single_no_time', dict(time_=False)),
                     ('single_no_system', dict(system=False)), ('single_8_frames', dict(frames=8)),
                     ('single_32_frames', dict(frames=32)), ('conversation_turns', dict(conversation=True))]:
        acc, per = evaluate(twin_forward, prompts, device, list(range(args.eval_seeds)), **kw)
        results[name] = {'acc': round(acc, 4), 'per_type': per}
        print('eval %-20s %.4f %s' % (name, acc, per), flush=True)
    res_path = os.path.join(os.path.dirname(args.out) or '.', 'train_results.json')
    with open(res_path, 'w') as f:
        json.dump(results, f, indent=2)
    if not args.no_hf:
        try:
            export_hf(model, args, ids, prompts, device, results)
        except Exception as e:  # the twin's weights are saved above either way
            import traceback
            traceback.print_exc()
            results['export_error'] = repr(e)
    with open(os.path.join(os.path.dirname(args.out) or '.', 'train_results.json'), 'w') as f:
        json.dump(results, f, indent=2)


if __name__ == '__main__':
    main()
