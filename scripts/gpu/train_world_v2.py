"""Trains sparsevila-world-v2 (LLaVA-OneVision architecture, a few million parameters) on world v2 of the synthetic
world with the next-token loss ONLY: no attention supervision, no probes, nothing that shapes where the model looks.
Runs on the GPU machine:

  python3 scripts/synthetic-world/build_tokenizer.py --world v2 /tmp/tok     # tokenizer + processor files
  PYTHONUNBUFFERED=1 python3 scripts/gpu/train_world_v2.py --tokenizer /tmp/tok --out /tmp/model --results $OUT \
      --seconds 210 --eval-seeds 200

The first run (H200, 210 s, 1901 steps of 32 videos x 6 questions, 5.87 M parameters, defaults below) did NOT learn to
read the video: the loss fell to the text prior (~1.4 nats/token) by step 150 and stayed there; 0 % held-out exact
(assets/benchmarks/world-v2-train-run1.json). With 2048 visual tokens per sample and the objects on a few percent of
them, the answer's attention starts spread over all of them and the next-token loss alone gives the vision path too
little signal in this budget (v1 had 256 tokens and attention supervision). Not tried yet: a frame-level captioning
stage first (one or few frames, "describe the frame" listing what is visible: still next-token loss only, as real
VLMs' alignment stage), a curriculum over frame counts (2 -> 8 -> 32), larger objects early.

Data are generated on the fly: scenes and questions from scripts/synthetic-world/world_v2.py (the world that
engine/core/synthetic/world-v2.ts renders for `sparsevila eval --world v2`), pixels rendered by the same integer
rules in torch on the GPU (checked against the Python reference at start). Training seeds are >= 1,000,000
(random.Random(--data-seed) per data worker); evaluation seeds are below.
Prompts are the engine's (engine/core/session/prompt.ts): ChatML with the template's default system prompt,
<video> expanded to F*64+1 placeholders, LLaVA-Video's time instruction, then the question. Under SparseVILA's
multi-turn protocol (history "none") every turn is the question right after the retained prefix, so one training
sequence packs --questions question/answer segments after one video prefix: each segment's positions restart right
after the prefix and it attends to the prefix and to itself only (what a fresh turn sees); the loss is on the answers.
The twin (tiny_llava.py) trains; at the end its bf16-rounded weights go into transformers' own class, both are
checked to give the same logits, and the folder is written with save_pretrained.
"""
import argparse
import json
import math
import os
import random
import sys
import tarfile
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'synthetic-world'))
sys.path.insert(0, HERE)
import world_v2 as W  # noqa: E402
from train_vlm import ASSIST, SYSTEM, USER, WordTokenizer, build_model, patch_config_json, save_model  # noqa: E402

TRAIN_SEED_MIN = 1_000_000
PATCH = 8
POOLED = (W.SIZE // PATCH + 1) // 2  # 8x8 tokens per frame
ACTOR_KEYS = ['colour', 'shape', 'radius', 'entry', 'exit', 'u0', 'u1', 'start', 'length']
DISTRACTOR_KEYS = ['shape', 'radius', 'x', 'y', 'start', 'length']


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument('--tokenizer', required=True, help='folder with tokenizer.json and the processor files')
    p.add_argument('--out', required=True, help='the saved model folder')
    p.add_argument('--results', required=True, help='folder for train.json, twin.pt, reference.safetensors, model.tgz')
    p.add_argument('--seconds', type=float, default=230)
    p.add_argument('--batch', type=int, default=32, help='videos per step')
    p.add_argument('--questions', type=int, default=6, help='question segments per video')
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--frames', default='32,32,32,24,40', help='frame counts drawn per batch')
    p.add_argument('--vision-hidden', type=int, default=128)
    p.add_argument('--vision-layers', type=int, default=4)
    p.add_argument('--text-hidden', type=int, default=256)
    p.add_argument('--text-layers', type=int, default=6)
    p.add_argument('--workers', type=int, default=10)
    p.add_argument('--warmup', type=int, default=150)
    p.add_argument('--cosine-from', type=float, default=0.6, help='fraction of the time after which lr decays')
    p.add_argument('--eval-seeds', type=int, default=200, help='held-out seeds 0..N-1 for the final check')
    p.add_argument('--eval-every', type=int, default=400)
    p.add_argument('--data-seed', type=int, default=11)
    p.add_argument('--resume', default='', help='twin state_dict (.pt) to start from')
    p.add_argument('--no-hf', action='store_true', help='skip the transformers export (CPU smoke runs)')
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    return p.parse_args()


def twin_config(vocab_size, ids, args):
    return {'vocab': vocab_size, 'image': W.SIZE, 'patch': PATCH,
            'v_hidden': args.vision_hidden, 'v_layers': args.vision_layers, 'v_heads': 4, 'v_inner': args.vision_hidden * 3,
            't_hidden': args.text_hidden, 't_layers': args.text_layers, 't_heads': 4, 't_kv_heads': 2,
            't_inner': args.text_hidden * 8 // 3, 'rope_theta': 10000.0, 'video_token_id': ids['<video>']}


# ---------------------------------------------------------------------------------------------------------------
# pixels: world_v2.render_frame's rules, vectorized


def scene_tensors(scenes, device):
    """Actors padded to MAX_ACTORS and distractors to MAX_DISTRACTORS: int32 [B, K] tensors, 'valid' marks real ones."""
    def table(key, keys, pad):
        rows = {k: [] for k in keys}
        valid = []
        for s in scenes:
            objs = s[key]
            for k in keys:
                rows[k].append([o[k] for o in objs] + [0] * (pad - len(objs)))
            valid.append([1] * len(objs) + [0] * (pad - len(objs)))
        out = {k: torch.tensor(v, dtype=torch.int32, device=device) for k, v in rows.items()}
        out['valid'] = torch.tensor(valid, dtype=torch.bool, device=device)
        return out
    return {'actors': table('actors', ACTOR_KEYS, W.MAX_ACTORS),
            'distractors': table('distractors', DISTRACTOR_KEYS, W.MAX_DISTRACTORS)}


def edge_xy(side, u):
    x = torch.where(side == 0, 0, torch.where(side == 1, W.SIZE - 1, u))
    y = torch.where(side == 2, 0, torch.where(side == 3, W.SIZE - 1, u))
    return x, y


def shape_mask(shape, r, dx, dy):
    adx, ady = dx.abs(), dy.abs()
    circle = dx * dx + dy * dy <= r * r
    square = (adx <= r - 1) & (ady <= r - 1)
    triangle = (dy <= r - 1) & (2 * adx <= dy + r)
    arm = torch.div(r, 3, rounding_mode='floor')
    cross = ((adx <= arm) & (ady <= r)) | ((ady <= arm) & (adx <= r))
    return torch.where(shape == 0, circle, torch.where(shape == 1, square, torch.where(shape == 2, triangle, cross)))


def render_batch(st, frame_idx):
    """st: scene_tensors; frame_idx int32 [B, F] video frame numbers -> uint8 [B, F, SIZE, SIZE, 3]."""
    dev = frame_idx.device
    B, Fr = frame_idx.shape
    n = frame_idx[:, :, None]  # [B,F,1]
    coords = torch.arange(W.SIZE, device=dev, dtype=torch.int32)
    canvas = torch.tensor(W.BACKGROUND, dtype=torch.uint8, device=dev).expand(B, Fr, W.SIZE, W.SIZE, 3)
    layers = []  # (visible [B,F,K], cx, cy [B,F,K], shape, radius [B,1,K], rgb [B,K,3])
    d = st['distractors']
    g = lambda t, k: t[k][:, None, :]
    vis = (n >= g(d, 'start')) & (n < g(d, 'start') + g(d, 'length')) & g(d, 'valid')
    grey = torch.tensor(W.GREY, dtype=torch.uint8, device=dev).expand(B, d['shape'].shape[1], 3)
    layers.append((vis, g(d, 'x').expand_as(vis), g(d, 'y').expand_as(vis), g(d, 'shape'), g(d, 'radius'), grey))
    a = st['actors']
    t = n - g(a, 'start')
    vis = (t >= 0) & (t < g(a, 'length')) & g(a, 'valid')
    t = t.clamp(min=0)
    span = (g(a, 'length') - 1).clamp(min=1)
    x0, y0 = edge_xy(g(a, 'entry'), g(a, 'u0'))
    x1, y1 = edge_xy(g(a, 'exit'), g(a, 'u1'))
    cx = x0 + torch.div((x1 - x0) * t, span, rounding_mode='floor')
    cy = y0 + torch.div((y1 - y0) * t, span, rounding_mode='floor')
    table = torch.tensor([rgb for _, rgb in W.COLOURS], dtype=torch.uint8, device=dev)
    layers.append((vis, cx, cy, g(a, 'shape'), g(a, 'radius'), table[a['colour'].long()]))
    for vis, cx, cy, shape, radius, rgb in layers:
        for k in range(vis.shape[2]):
            dx = coords[None, None, None, :] - cx[:, :, k, None, None]  # [B,F,1,W]
            dy = coords[None, None, :, None] - cy[:, :, k, None, None]  # [B,F,H,1]
            inside = shape_mask(shape[:, :, k, None, None], radius[:, :, k, None, None], dx, dy) & vis[:, :, k, None, None]
            canvas = torch.where(inside[..., None], rgb[:, None, None, None, k, :], canvas)
    return canvas


def to_pixel_values(frames_u8):
    """uint8 [B,F,H,W,3] -> float32 [B,F,3,H,W]: rescale 1/255, normalize mean=std=0.5 (preprocessor_config.json)."""
    x = frames_u8.float() * (1 / 255)
    return ((x - 0.5) / 0.5).permute(0, 1, 4, 2, 3).contiguous()


def check_renderer(device):
    """The torch renderer must reproduce world_v2.render_frame exactly."""
    scenes = [W.make_scene(s) for s in range(4)]
    idx = torch.tensor([list(range(W.NUM_FRAMES))] * len(scenes), dtype=torch.int32, device=device)
    got = render_batch(scene_tensors(scenes, device), idx).cpu()
    bad = 0
    for b, s in enumerate(scenes):
        for n in range(0, W.NUM_FRAMES, 9):
            ref = torch.tensor(list(W.render_frame(s, n)), dtype=torch.uint8).view(W.SIZE, W.SIZE, 3)
            bad += int((ref != got[b, n]).any())
    print('renderer check: %d mismatching frames' % bad, flush=True)
    assert bad == 0


# ---------------------------------------------------------------------------------------------------------------
# prompts: one video prefix, then question segments that each continue right after it


class Packer:
    def __init__(self, tok):
        self.tok = tok
        self.ids = {t: tok.token_to_id(t) for t in ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<video>', '<image>']}
        self.cache = {}

    def enc(self, text):
        v = self.cache.get(text)
        if v is None:
            v = self.tok.encode_ids(text)
            if len(self.cache) < 100000:
                self.cache[text] = v
        return v

    def prefix(self, frame_idx):
        times = [i / W.FPS for i in frame_idx]
        text = SYSTEM + USER + '<video>\n' + W.time_instruction(W.NUM_FRAMES / W.FPS, times) + '\n'
        out = []
        for t in self.enc(text):
            out += [t] * (len(frame_idx) * POOLED * POOLED + 1) if t == self.ids['<video>'] else [t]
        return out

    def pack(self, frame_idx, questions):
        """-> ids, labels, positions, segment ids (0: the prefix, s: question s), answer spans [(first label row, end)]."""
        ids = self.prefix(frame_idx)
        P = len(ids)
        labels, pos, seg = [-100] * P, list(range(P)), [0] * P
        spans = []
        for s, q in enumerate(questions, 1):
            qi = self.enc(q['question'] + ASSIST)
            ai = self.enc(q['answer']) + [self.ids['<|im_end|>']]
            spans.append((len(ids) + len(qi), len(ids) + len(qi) + len(ai)))
            ids += qi + ai
            labels += [-100] * len(qi) + ai
            pos += list(range(P, P + len(qi) + len(ai)))
            seg += [s] * (len(qi) + len(ai))
        return ids, labels, pos, seg, spans


def collate(packer, rows, scenes, frame_rows, device='cpu'):
    L = (max(len(r[0]) for r in rows) + 31) // 32 * 32
    B = len(rows)
    input_ids = torch.full((B, L), packer.ids['<|endoftext|>'], dtype=torch.long)
    labels = torch.full((B, L), -100, dtype=torch.long)
    pos = torch.zeros((B, L), dtype=torch.long)
    seg = torch.full((B, L), -1, dtype=torch.long)
    for b, (ids, lab, p, s, _) in enumerate(rows):
        input_ids[b, :len(ids)] = torch.tensor(ids)
        labels[b, :len(lab)] = torch.tensor(lab)
        pos[b, :len(p)] = torch.tensor(p)
        seg[b, :len(s)] = torch.tensor(s)
    return input_ids, labels, pos, seg, scene_tensors(scenes, device), torch.tensor(frame_rows, dtype=torch.int32)


def draw_indices(rng, frames):
    if rng.random() < 0.75:
        return W.uniform_indices(W.NUM_FRAMES, frames)
    # jittered uniform sampling, so a decoder's slightly different frame picks do not matter
    return sorted(min(W.NUM_FRAMES - 1, int((i + rng.random()) * W.NUM_FRAMES / frames)) for i in range(frames))


def cpu_batch(packer, rng, batch, frames, questions):
    rows, scenes, frame_rows = [], [], []
    for _ in range(batch):
        scene = W.make_scene(rng.randrange(TRAIN_SEED_MIN, 2 ** 31))
        qrng = W.Rng(rng.randrange(2 ** 32))
        if rng.random() < 0.25:  # an evaluation-shaped conversation, then random questions
            qs = W.conversation(scene, qrng, min(questions, W.MAX_TURNS))
            qs += [W.random_question(scene, qrng) for _ in range(questions - len(qs))]
        else:
            qs = [W.random_question(scene, qrng) for _ in range(questions)]
        idx = draw_indices(rng, frames)
        rows.append(packer.pack(idx, qs))
        scenes.append(scene)
        frame_rows.append(idx)
    return collate(packer, rows, scenes, frame_rows)


class BatchStream(torch.utils.data.IterableDataset):
    """Endless CPU-side batches from worker processes (each with its own random stream)."""

    def __init__(self, tokenizer_path, batch, frame_choices, questions, seed):
        self.tokenizer_path, self.batch, self.frame_choices, self.questions, self.seed = \
            tokenizer_path, batch, frame_choices, questions, seed

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        rng = random.Random(self.seed * 1000 + (info.id if info else 0))
        packer = Packer(WordTokenizer(self.tokenizer_path))
        while True:
            yield cpu_batch(packer, rng, self.batch, rng.choice(self.frame_choices), self.questions)


def segment_mask(seg):
    """[B, L] segment ids -> [B, 1, L, L] bool: causal, and a question segment sees only the prefix and itself."""
    L = seg.shape[1]
    i = torch.arange(L, device=seg.device)
    causal = i[:, None] >= i[None, :]
    sj, si = seg[:, None, :], seg[:, :, None]
    return (causal[None] & ((sj == 0) | (sj == si)))[:, None]


def to_device(cpu, device):
    input_ids, labels, pos, seg, st, fidx = cpu
    st = {k: {kk: vv.to(device, non_blocking=True) for kk, vv in v.items()} for k, v in st.items()}
    pix = to_pixel_values(render_batch(st, fidx.to(device)))
    return (input_ids.to(device, non_blocking=True), labels.to(device, non_blocking=True), pos.to(device),
            segment_mask(seg.to(device)), pix)


def lm_loss(logits, labels):
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(), labels[:, 1:].reshape(-1),
                           ignore_index=-100)


# ---------------------------------------------------------------------------------------------------------------
# evaluation: teacher-forced, an answer is right when every one of its tokens (and the end token) is the argmax —
# exactly when greedy decoding would produce it


@torch.no_grad()
def evaluate(model, packer, device, seeds, frames=32, turns=4, amp=None):
    per_type, per_turn = {}, {}
    idx = W.uniform_indices(W.NUM_FRAMES, frames)
    for start in range(0, len(seeds), 16):
        items = [W.eval_item(s, turns) for s in seeds[start:start + 16]]
        rows = [packer.pack(idx, it['conversation']) for it in items]
        batch = to_device(collate(packer, rows, [it['scene'] for it in items], [idx] * len(items)), device)
        input_ids, labels, pos, mask, pix = batch
        with amp():
            logits = model(input_ids, pix, position_ids=pos, attn_mask=mask)
        pred = logits.argmax(-1).cpu()
        for b, (it, row) in enumerate(zip(items, rows)):
            for t, (q, (a0, a1)) in enumerate(zip(it['conversation'], row[4])):
                ok = int(bool((pred[b, a0 - 1:a1 - 1] == torch.tensor(row[1][a0:a1])).all()))
                for table, key in ((per_type, q['type']), (per_turn, t + 1)):
                    c = table.setdefault(key, [0, 0])
                    c[0] += ok
                    c[1] += 1
    right = sum(c[0] for c in per_turn.values())
    total = sum(c[1] for c in per_turn.values())
    fmt = lambda tb: {str(k): round(c[0] / c[1], 4) for k, c in sorted(tb.items())}
    return right / max(1, total), fmt(per_type), fmt(per_turn)


# ---------------------------------------------------------------------------------------------------------------


def export_hf(twin, args, ids, packer, device, results):
    """The twin's bf16-rounded weights into transformers' own class: same logits, a reference for the engine's parity
    check (8 frames, seed 0's first question), then save_pretrained and a .tgz of the folder."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    hf = build_model(twin.cfg['vocab'], ids, args, image_size=W.SIZE)
    hf.set_attn_implementation('eager')
    state = {k: v.detach().to(torch.bfloat16).float() for k, v in twin.state_dict().items()}
    hf_keys = set(hf.state_dict().keys())
    rename = lambda k: k if k in hf_keys else k.replace('model.vision_tower.vision_model.', 'model.vision_tower.')
    missing, unexpected = hf.load_state_dict({rename(k): v for k, v in state.items()}, strict=False)
    assert not unexpected and all('position_ids' in m for m in missing), ('twin and HF parameter names differ', missing, unexpected)
    twin.load_state_dict(state)
    hf = hf.to(device).eval()
    twin = twin.float().eval()
    it = W.eval_item(0)
    q = it['conversation'][0]
    idx = W.uniform_indices(W.NUM_FRAMES, 8)
    ids_ = packer.prefix(idx) + packer.enc(q['question'] + ASSIST)
    st = scene_tensors([it['scene']], device)
    pix = to_pixel_values(render_batch(st, torch.tensor([idx], dtype=torch.int32, device=device)))
    inp = torch.tensor([ids_], device=device)
    with torch.no_grad():
        ref = hf(input_ids=inp, pixel_values_videos=pix).logits.float()
        mine = twin(inp, pix).float()
    rel = ((ref - mine).abs().max() / ref.abs().max()).item()
    print('twin vs transformers logits: max|d|/max|ref| = %.2e' % rel, flush=True)
    results['twin_vs_hf_rel_err'] = rel
    results['reference'] = {'question': q['question'], 'answer': q['answer'],
                            'first_token_predicted': packer.tok.id_to_token(int(ref[0, -1].argmax()))}
    from safetensors.torch import save_file
    save_file({'input_ids': inp.cpu().to(torch.int64), 'pixel_values_videos': pix.cpu().contiguous(),
               'logits': ref.cpu().contiguous()}, os.path.join(args.results, 'reference.safetensors'))
    save_model(hf.to(torch.bfloat16), args, ids, args.out)
    with tarfile.open(os.path.join(args.results, 'model.tgz'), 'w:gz') as tf:
        tf.add(args.out, arcname='sparsevila-world-v2')
    print('saved', sorted(os.listdir(args.out)), flush=True)


def main():
    args = parse_args()
    device = args.device
    torch.manual_seed(0)
    os.makedirs(args.results, exist_ok=True)
    tok = WordTokenizer(os.path.join(args.tokenizer, 'tokenizer.json'))
    packer = Packer(tok)
    ids = packer.ids
    for s in range(50):  # every word of the world is in the vocabulary
        for q in W.eval_item(s, W.MAX_TURNS)['conversation']:
            assert tok.unk not in packer.enc(q['question'] + ' ' + q['answer']), q
    check_renderer(device)
    model = TinyLlavaOnevision(twin_config(tok.get_vocab_size(), ids, args)).to(device)
    if args.resume:
        model.load_state_dict({k: v.float() for k, v in torch.load(args.resume, map_location=device).items()})
        print('resumed from', args.resume)
    n_params = sum(p.numel() for p in model.parameters())
    print('params %.2fM device %s' % (n_params / 1e6, device), flush=True)
    named = list(model.named_parameters())
    decay = [p for n, p in named if p.dim() >= 2 and 'embed' not in n]
    no_decay = [p for n, p in named if not (p.dim() >= 2 and 'embed' not in n)]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.05}, {'params': no_decay, 'weight_decay': 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-8)
    cuda = device.startswith('cuda')
    amp = (lambda: torch.autocast('cuda', dtype=torch.bfloat16)) if cuda else (lambda: torch.autocast('cpu', enabled=False))
    workers = args.workers if cuda else 0
    loader = torch.utils.data.DataLoader(
        BatchStream(os.path.join(args.tokenizer, 'tokenizer.json'), args.batch, [int(x) for x in args.frames.split(',')],
                    args.questions, args.data_seed),
        batch_size=None, num_workers=workers, pin_memory=cuda,
        **(dict(prefetch_factor=4, persistent_workers=True) if workers else {}))
    stream = iter(loader)
    eval_seeds = list(range(args.eval_seeds))
    t0 = time.time()
    step, wait_s, log, evals = 0, 0.0, [], []
    model.train()
    while time.time() - t0 < args.seconds:
        frac = (time.time() - t0) / args.seconds
        c0 = args.cosine_from
        decay_f = 1.0 if frac < c0 else 0.5 * (1 + math.cos(math.pi * (frac - c0) / (1 - c0)))
        lr = args.lr * min(1.0, (step + 1) / args.warmup) * (0.03 + 0.97 * decay_f)
        for g in opt.param_groups:
            g['lr'] = lr
        tb = time.time()
        input_ids, labels, pos, mask, pix = to_device(next(stream), device)
        wait_s += time.time() - tb
        with amp():
            logits = model(input_ids, pix, position_ids=pos, attn_mask=mask)
        loss = lm_loss(logits, labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 25 == 0:
            el = time.time() - t0
            print('step %d t=%.0fs loss %.4f lr %.2e (waiting for data %.0f%%)' % (
                step, el, loss.item(), lr, 100 * wait_s / max(el, 1e-9)), flush=True)
            log.append({'step': step, 't': round(el, 1), 'loss': round(loss.item(), 4)})
        if step % args.eval_every == 0:
            model.eval()
            acc, per_type, _ = evaluate(model, packer, device, eval_seeds[:48], amp=amp)
            model.train()
            evals.append({'step': step, 't': round(time.time() - t0, 1), 'acc': round(acc, 4), 'per_type': per_type})
            print('  held-out exact (48 videos x 4 turns) %.3f %s' % (acc, per_type), flush=True)
            torch.save({k: v.to(torch.bfloat16) for k, v in model.state_dict().items()}, os.path.join(args.results, 'twin.pt'))
    print('trained %d steps in %.0fs' % (step, time.time() - t0), flush=True)
    torch.save({k: v.to(torch.bfloat16) for k, v in model.state_dict().items()}, os.path.join(args.results, 'twin.pt'))
    model.eval()
    with torch.no_grad():  # bf16-rounded weights, as exported
        for p_ in model.parameters():
            p_.copy_(p_.to(torch.bfloat16).float())
    results = {'steps': step, 'params': n_params, 'train_seconds': args.seconds, 'args': vars(args), 'log': log,
               'evals': evals}
    acc, per_type, per_turn = evaluate(model, packer, device, eval_seeds, amp=amp)
    results['final_teacher_forced'] = {'seeds': '0:%d' % args.eval_seeds, 'acc': round(acc, 4), 'per_type': per_type,
                                       'per_turn': per_turn}
    print('final held-out exact (%d videos x 4 turns, 32 frames) %.4f %s %s' % (args.eval_seeds, acc, per_type, per_turn),
          flush=True)
    if not args.no_hf:
        try:
            export_hf(model, args, ids, packer, device, results)
        except Exception as e:  # the twin's weights are saved above either way
            import traceback
            traceback.print_exc()
            results['export_error'] = repr(e)
    with open(os.path.join(args.results, 'train.json'), 'w') as f:
        json.dump(results, f, indent=1)


if __name__ == '__main__':
    from tiny_llava import TinyLlavaOnevision  # noqa: E402
    main()
