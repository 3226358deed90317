"""Trains the toy VLM (LLaVA-OneVision architecture, tiny) on the synthetic video world. Runs on the GPU machine:

  PYTHONUNBUFFERED=1 python3 scripts/gpu/train_vlm.py --tokenizer assets/models/sparsevila-toy-shapes \
      --out $OUT/model --seconds 300

The model is transformers' own LlavaOnevisionForConditionalGeneration (SigLIP tower -> 2-layer GELU projector ->
bilinear 2x video pooling + image_newline -> Qwen2), saved with save_pretrained, so the folder is the real HF format.
Training data are generated on the fly: scenes and questions from scripts/synthetic-world/world.py (the same world
engine/synthetic/world.ts renders for `sparsevila eval`), pixels rendered by the same integer rules in torch.
Prompts are the engine's: ChatML with the default system prompt, <video> expanded to F*16+1 placeholders, LLaVA-Video's
time instruction, then the question (the SparseVILA multi-turn protocol re-asks over the same prefix, so each turn is
a single-turn prompt); a share of samples drop the system prompt / time instruction or carry text history, so the
model does not depend on those details. Held-out evaluation seeds are < 1,000,000; training seeds are above.
"""
import argparse
import json
import math
import os
import random
import shutil
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'synthetic-world'))
import world  # noqa: E402

TRAIN_SEED_MIN = 1_000_000
SYSTEM = '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n'
USER = '<|im_start|>user\n'
ASSIST = '<|im_end|>\n<|im_start|>assistant\n'
END = '<|im_end|>'
FRAME_CHOICES = [8, 12, 16, 16, 16, 24, 32]
PATCH = 8
POOLED = (world.SIZE // PATCH + 1) // 2  # 4x4 tokens per frame


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument('--tokenizer', required=True, help='folder with tokenizer.json and the processor files')
    p.add_argument('--out', required=True)
    p.add_argument('--seconds', type=float, default=300)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--lr', type=float, default=1.5e-3)
    p.add_argument('--eval-seeds', type=int, default=400)
    p.add_argument('--vision-hidden', type=int, default=128)
    p.add_argument('--vision-layers', type=int, default=4)
    p.add_argument('--text-hidden', type=int, default=192)
    p.add_argument('--text-layers', type=int, default=4)
    return p.parse_args()


# ---------------------------------------------------------------------------------------------------------------
# model


def build_model(vocab_size, ids, args):
    from transformers import LlavaOnevisionConfig, LlavaOnevisionForConditionalGeneration, Qwen2Config, SiglipVisionConfig
    vision = SiglipVisionConfig(
        hidden_size=args.vision_hidden, intermediate_size=args.vision_hidden * 3, num_hidden_layers=args.vision_layers,
        num_attention_heads=4, num_channels=3, image_size=world.SIZE, patch_size=PATCH,
        hidden_act='gelu_pytorch_tanh', layer_norm_eps=1e-6, attention_dropout=0.0, vision_use_head=False)
    text = Qwen2Config(
        vocab_size=vocab_size, hidden_size=args.text_hidden, intermediate_size=args.text_hidden * 8 // 3,
        num_hidden_layers=args.text_layers, num_attention_heads=4, num_key_value_heads=2,
        max_position_embeddings=4096, rms_norm_eps=1e-6, hidden_act='silu', tie_word_embeddings=False,
        bos_token_id=None, eos_token_id=ids['<|im_end|>'], pad_token_id=ids['<|endoftext|>'], use_cache=True)
    cfg = LlavaOnevisionConfig(
        vision_config=vision, text_config=text, image_token_index=ids['<image>'], video_token_index=ids['<video>'],
        projector_hidden_act='gelu', vision_feature_select_strategy='full', vision_feature_layer=-1,
        vision_aspect_ratio='anyres_max_9', image_grid_pinpoints=[[world.SIZE, world.SIZE]], tie_word_embeddings=False)
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


def render_batch(st, frame_idx):
    """st: scene_tensors; frame_idx int32 [B, F] video frame numbers -> uint8 [B, F, 64, 64, 3]."""
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
    return canvas.to(torch.uint8)


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
            v = self.tok.encode(text, add_special_tokens=False).ids
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
        """turns: [(question, answer)]; the last turn (or every turn with text history) carries the loss.
        Returns (ids, labels) with <video> expanded to F*POOLED^2+1 placeholders."""
        video_id = self.ids['<video>']
        n_video = len(frame_idx) * POOLED * POOLED + 1
        ids, labels = [], []
        for t in self.prefix(frame_idx, system, time):
            if t == video_id:
                ids += [video_id] * n_video
                labels += [-100] * n_video
            else:
                ids.append(t)
                labels.append(-100)
        for i, (q, a) in enumerate(turns):
            seg = self.enc(('' if i == 0 else '\n' + USER) + q + ASSIST)
            ids += seg
            labels += [-100] * len(seg)
            ans = self.enc(a) + [self.ids['<|im_end|>']]
            ids += ans
            labels += ans
        return ids, labels


def make_batch(prompts, rng, batch, device, frames=None, noise_p=0.5):
    F = frames or rng.choice(FRAME_CHOICES)
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
        r = rng.random()
        if r < 0.7:
            q = world.random_question(scene, qrng)
            turns = [(q['question'], q['answer'])]
        elif r < 0.85:
            qs = world.multi_turn_set(scene, qrng, turns=rng.choice([2, 3]))
            turns = [(q['question'], q['answer']) for q in qs]
        else:
            qs = [world.random_question(scene, qrng) for _ in range(rng.choice([2, 3]))]
            turns = [(q['question'], q['answer']) for q in qs]
        system = rng.random() < 0.85
        time_ = rng.random() < 0.8
        seqs.append(prompts.sample(idx, turns, system, time_))
        scenes.append(scene)
        frame_rows.append(idx)
    L = max(len(s[0]) for s in seqs)
    L = (L + 31) // 32 * 32
    pad = prompts.ids['<|endoftext|>']
    input_ids = torch.full((batch, L), pad, dtype=torch.long)
    labels = torch.full((batch, L), -100, dtype=torch.long)
    mask = torch.zeros((batch, L), dtype=torch.long)
    for b, (ids, lab) in enumerate(seqs):
        input_ids[b, :len(ids)] = torch.tensor(ids)
        labels[b, :len(lab)] = torch.tensor(lab)
        mask[b, :len(ids)] = 1
    st = scene_tensors(scenes, device)
    fidx = torch.tensor(frame_rows, dtype=torch.int32, device=device)
    frames_u8 = render_batch(st, fidx)
    noise = 3 if rng.random() < noise_p else 0
    pix = to_pixel_values(frames_u8, noise)
    return input_ids.to(device), labels.to(device), mask.to(device), pix


# ---------------------------------------------------------------------------------------------------------------
# evaluation: greedy answer = argmax at the position after "assistant" (every answer is one token)


@torch.no_grad()
def evaluate(model, prompts, device, seeds, frames=16, system=True, time_=True, conversation=False):
    model.eval()
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
        mask = torch.zeros((len(rows), L), dtype=torch.long)
        last = []
        for b, r in enumerate(rows):
            input_ids[b, :len(r)] = torch.tensor(r)
            mask[b, :len(r)] = 1
            last.append(len(r) - 1)
        st = scene_tensors(scenes, device)
        fidx = torch.tensor([idx] * len(rows), dtype=torch.int32, device=device)
        pix = to_pixel_values(render_batch(st, fidx))
        out = model(input_ids=input_ids.to(device), attention_mask=mask.to(device), pixel_values_videos=pix)
        pred = out.logits[torch.arange(len(rows)), torch.tensor(last)].argmax(-1).cpu().tolist()
        for p, a, t in zip(pred, answers, types):
            ok = int(p == a)
            correct += ok
            total += 1
            c = per_type.setdefault(t, [0, 0])
            c[0] += ok
            c[1] += 1
    model.train()
    return correct / max(1, total), {t: round(c[0] / c[1], 3) for t, c in sorted(per_type.items())}


# ---------------------------------------------------------------------------------------------------------------


def save_model(model, args, ids, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    # bf16 copies of the weights: the live model keeps training in fp32
    state = {k: v.detach().to(torch.bfloat16).contiguous() for k, v in model.state_dict().items()}
    model.save_pretrained(out_dir, state_dict=state)
    patch_config_json(out_dir, ids)
    for name in os.listdir(args.tokenizer):
        if name.endswith('.json') and name not in ('config.json', 'generation_config.json'):
            shutil.copy(os.path.join(args.tokenizer, name), os.path.join(out_dir, name))


def smoke_test(model, prompts, device, args, ids):
    """Every step the run ends with, on an untrained model, before spending the training time."""
    t = time.time()
    rng = random.Random(0)
    input_ids, labels, mask, pix = make_batch(prompts, rng, 4, device, frames=8)
    with torch.autocast('cuda', dtype=torch.bfloat16, enabled=device == 'cuda'):
        loss = model(input_ids=input_ids, attention_mask=mask, pixel_values_videos=pix, labels=labels).loss
    loss.backward()
    model.zero_grad(set_to_none=True)
    print('smoke: initial loss %.3f' % loss.item())
    evaluate(model, prompts, device, [0, 1], frames=8)
    tmp = '/tmp/smoke_model'
    save_model(model, args, ids, tmp)
    from transformers import LlavaOnevisionForConditionalGeneration
    again = LlavaOnevisionForConditionalGeneration.from_pretrained(tmp)
    print('smoke: saved files', sorted(os.listdir(tmp)), 'reloaded', type(again).__name__, 'in %.1fs' % (time.time() - t))
    with open(os.path.join(tmp, 'config.json')) as f:
        print(f.read()[:3000])


def main():
    args = parse_args()
    from tokenizers import Tokenizer
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    torch.manual_seed(0)
    rng = random.Random(1234)
    tok = Tokenizer.from_file(os.path.join(args.tokenizer, 'tokenizer.json'))
    prompts = Prompts(tok)
    ids = prompts.ids
    print('special ids', ids, 'vocab', tok.get_vocab_size())
    check_renderer(device)

    model = build_model(tok.get_vocab_size(), ids, args).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    print('params %.2fM' % (n_params / 1e6))
    example, _ = prompts.sample(world.uniform_indices(64, 16), [('what shape is the red object ?', 'square')])
    print('example prompt tokens', len(example), tok.decode(example[-12:], skip_special_tokens=False))

    smoke_test(model, prompts, device, args, ids)

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and 'embed' not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and 'embed' not in n)]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.05}, {'params': no_decay, 'weight_decay': 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-8)
    warmup = 150
    t0 = time.time()
    step = 0
    log = []
    model.train()
    while True:
        elapsed = time.time() - t0
        if step and step % 2000 == 0:
            save_model(model, args, ids, args.out)  # a checkpoint, in case the run is cut short
        if elapsed > args.seconds:
            break
        frac = elapsed / args.seconds
        lr = args.lr * min(1.0, (step + 1) / warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g['lr'] = lr
        input_ids, labels, mask, pix = make_batch(prompts, rng, args.batch, device)
        with torch.autocast('cuda', dtype=torch.bfloat16, enabled=device == 'cuda'):
            out = model(input_ids=input_ids, attention_mask=mask, pixel_values_videos=pix, labels=labels)
        loss = out.loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 100 == 0:
            print('step %d t=%.0fs loss %.4f lr %.2e' % (step, elapsed, loss.item(), lr), flush=True)
            log.append({'step': step, 't': round(elapsed, 1), 'loss': round(loss.item(), 4)})
        if step % 1500 == 0:
            acc, _ = evaluate(model, prompts, device, list(range(100)))
            print('  held-out single-turn acc (100 videos) %.3f' % acc, flush=True)
    print('trained %d steps in %.0fs' % (step, time.time() - t0))

    # Round to bf16 (what is saved) before the final numbers, so they describe the committed weights.
    model = model.to(torch.bfloat16).to(torch.float32)
    save_model(model, args, ids, args.out)
    seeds = list(range(args.eval_seeds))
    results = {'steps': step, 'params': n_params, 'train_seconds': args.seconds, 'log': log}
    for name, kw in [('single_system_time', dict()), ('single_no_time', dict(time_=False)),
                     ('single_no_system', dict(system=False)), ('single_8_frames', dict(frames=8)),
                     ('single_32_frames', dict(frames=32)), ('conversation_turns', dict(conversation=True))]:
        acc, per = evaluate(model, prompts, device, seeds, **kw)
        results[name] = {'acc': round(acc, 4), 'per_type': per}
        print('eval %-20s %.4f %s' % (name, acc, per), flush=True)

    with open(os.path.join(args.out, 'train_results.json'), 'w') as f:
        json.dump(results, f, indent=2)

    # A parity reference for the engine: HF fp32 logits on held-out seed 0's first question (16 frames).
    from safetensors.torch import save_file
    it = world.eval_item(0)
    q = it['single'][0]
    idx = world.uniform_indices(world.NUM_FRAMES, 16)
    ids_, _ = prompts.sample(idx, [(q['question'], q['answer'])])
    ids_ = ids_[:-(len(prompts.enc(q['answer'])) + 1)]
    pix = to_pixel_values(render_batch(scene_tensors([it['scene']], device),
                                       torch.tensor([idx], dtype=torch.int32, device=device)))
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids_], device=device), pixel_values_videos=pix).logits
    save_file({'input_ids': torch.tensor([ids_], dtype=torch.int64), 'pixel_values_videos': pix.cpu().contiguous(),
               'logits': logits.float().cpu().contiguous()}, os.path.join(os.path.dirname(args.out), 'reference.safetensors'))
    print('reference: question %r answer %r predicted %r' % (q['question'], q['answer'],
                                                            tok.id_to_token(int(logits[0, -1].argmax()))))
    try:
        from transformers import AutoProcessor
        proc = AutoProcessor.from_pretrained(args.out)
        print('AutoProcessor loads:', type(proc).__name__)
    except Exception as e:
        print('AutoProcessor does not load (not needed by the engine):', repr(e)[:300])


if __name__ == '__main__':
    main()
