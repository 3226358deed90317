#!/usr/bin/env python3
"""Checks a `sparsevila quantize` output folder as other tools read it (issue 13 part 2's round trip, the Python side).

For QUANT (the 4-bit folder) against SRC (the 16-bit folder it was made from):
  - config.json: quantization_config {quant_method awq, bits 4, group_size, zero_point true, version gemm,
    modules_to_not_convert}; the rest of config.json as in SRC;
  - every 4-bit linear: qweight int32 [in, out/8], qzeros int32 [in/g, out/8], scales float16 [in/g, out], unpacked
    independently of our TypeScript from the AutoAWQ / transformers definition (eight 4-bit values per int32, low
    nibble first, stored in the order 0,2,4,6,1,3,5,7 so that transformers' AWQ_REVERSE_ORDER [0,4,1,5,2,6,3,7] puts
    them back), W = (q - zero) * scale, and (when transformers has them) the same through its own unpack_awq /
    reverse_awq_order;
  - the dequantized weights approximate SRC's: directly for round-to-nearest; for AWQ after undoing the per-input-
    channel scales, which are read back from the folded norms (q/k/v: input_layernorm, gate/up:
    post_attention_layernorm; o_proj and down_proj fold into v_proj / up_proj rows, checked as v·o and up·down
    products);
  - the modules transformers keeps 16-bit (its should_convert_module when present, else substring matching as
    AutoAWQ does) are exactly the ones stored 16-bit, and every other tensor is SRC's (byte-identical except norms).
Writes a JSON summary (--out) and exits 1 on the first failed check.
Needs numpy; torch + transformers add the cross-check through transformers' own helpers (the GPU machine has both).
Usage: python3 scripts/gpu/awq_layout_check.py SRC QUANT [--method awq|rtn] [--out summary.json]
On the GPU machine (run tool, carry [".device/quantize"] holding awq_layout_check.py and src/ awq/ rtn/ folders with
config.json + model.safetensors, e.g. the toy model and its BENCHMARKS.md copies):
  cd .device/quantize && for m in awq rtn; do python3 awq_layout_check.py src $m --method $m --out $OUT/$m.json; done
"""
import argparse
import json
import os
import sys

import numpy as np

AWQ_REVERSE_ORDER = [0, 4, 1, 5, 2, 6, 3, 7]
LINEARS = ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj']


def fail(msg):
    print(f'FAIL: {msg}')
    sys.exit(1)


def f32(a):
    if a.dtype == np.uint16:  # bf16 bits
        return (a.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
    return a.astype(np.float32)


def load_bf16_aware(d):
    """Every tensor of a folder's safetensors files as (dtype, array), read by the header (numpy has no bf16: kept as bits)."""
    out = {}
    for f in sorted(os.listdir(d)):
        if not f.endswith('.safetensors'):
            continue
        p = os.path.join(d, f)
        with open(p, 'rb') as fh:
            n = int.from_bytes(fh.read(8), 'little')
            header = json.loads(fh.read(n))
            base = 8 + n
            for name, info in header.items():
                if name == '__metadata__':
                    continue
                b, e = info['data_offsets']
                fh.seek(base + b)
                raw = fh.read(e - b)
                dt = {'F32': np.float32, 'F16': np.float16, 'BF16': np.uint16, 'I32': np.int32, 'I64': np.int64}[info['dtype']]
                a = np.frombuffer(raw, dtype=dt).reshape(info['shape'])
                out[name] = (info['dtype'], a)
    return out


def unpack_int4(packed):
    """int32 [rows, cols/8] -> uint8 [rows, cols] in channel order (AutoAWQ gemm)."""
    rows, words = packed.shape
    shifts = np.arange(0, 32, 4, dtype=np.uint32)
    nibbles = ((packed.view(np.uint32)[:, :, None] >> shifts) & 0xF).astype(np.uint8)  # [rows, words, 8] stored order
    return nibbles.reshape(rows, words * 8).reshape(-1, 8)[:, AWQ_REVERSE_ORDER].reshape(rows, words * 8)


def dequant(qweight, qzeros, scales, g):
    q = unpack_int4(qweight).astype(np.float32)                        # [in, out]
    z = np.repeat(unpack_int4(qzeros).astype(np.float32), g, axis=0)   # [in, out]
    s = np.repeat(scales.astype(np.float32), g, axis=0)
    return ((q - z) * s).T                                             # [out, in] like the HF weight


def transformers_dequant(qweight, qzeros, scales, g):
    """The same through transformers' own AWQ helpers, when this version has them (None otherwise)."""
    try:
        import torch
        from transformers.integrations.awq import reverse_awq_order, unpack_awq
    except Exception:
        return None
    iw, iz = unpack_awq(torch.from_numpy(qweight), torch.from_numpy(qzeros), 4)
    iw, iz = reverse_awq_order(iw, iz, 4)
    iw, iz = (iw & 0xF).float(), (iz & 0xF).float()
    s = torch.from_numpy(scales.astype(np.float32))
    w = (iw - iz.repeat_interleave(g, dim=0)) * s.repeat_interleave(g, dim=0)
    return w.T.numpy()


def kept_16bit(name, patterns):
    try:
        from transformers.quantizers.quantizers_utils import should_convert_module
        return not should_convert_module(name, patterns)
    except Exception:
        return any(p in name for p in patterns)


def rel(a, b):
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('src')
    ap.add_argument('quant')
    ap.add_argument('--method', choices=['awq', 'rtn'], required=True)
    ap.add_argument('--out')
    a = ap.parse_args()
    summary = {'quant': a.quant, 'method': a.method, 'checks': []}
    cs = json.load(open(os.path.join(a.src, 'config.json')))
    cq = json.load(open(os.path.join(a.quant, 'config.json')))
    qc = cq.get('quantization_config')
    if not qc:
        fail('config.json has no quantization_config')
    for k, v in {'quant_method': 'awq', 'bits': 4, 'zero_point': True, 'version': 'gemm'}.items():
        if qc.get(k) != v:
            fail(f'quantization_config.{k} = {qc.get(k)!r}, expected {v!r}')
    g = qc['group_size']
    skip = qc.get('modules_to_not_convert') or []
    if {k: v for k, v in cq.items() if k != 'quantization_config'} != cs:
        fail('config.json differs from the source beyond quantization_config')
    summary['checks'].append(f'config ok: group_size {g}, modules_to_not_convert {skip}')

    S, Q = load_bf16_aware(a.src), load_bf16_aware(a.quant)
    prefixes = sorted({n[:-len('.qweight')] for n in Q if n.endswith('.qweight')})
    layers = cs['text_config']['num_hidden_layers']
    if len(prefixes) != 7 * layers:
        fail(f'{len(prefixes)} 4-bit linears, expected 7 x {layers}')
    # transformers' module names: language_model.model.X -> model.language_model.X
    hf_name = lambda p: p.replace('language_model.model.', 'model.language_model.').replace('vision_tower.', 'model.vision_tower.').replace('multi_modal_projector.', 'model.multi_modal_projector.')
    for p in prefixes:
        if kept_16bit(hf_name(p), skip):
            fail(f'{p} is stored 4-bit but modules_to_not_convert keeps it 16-bit')
    for n, (dt, arr) in S.items():
        if n.endswith('.weight') and arr.ndim == 2 and n[:-len('.weight')] not in prefixes and not kept_16bit(hf_name(n[:-len('.weight')]), skip):
            if 'embed_tokens' not in n:
                fail(f'{n} stays 16-bit but transformers would convert it (not in modules_to_not_convert)')
    summary['checks'].append(f'{len(prefixes)} 4-bit linears; the 16-bit linears are exactly those modules_to_not_convert keeps')

    W = {}
    hf_checked = 0
    for p in prefixes:
        (dw, qw), (dz, qz), (ds, sc) = Q[f'{p}.qweight'], Q[f'{p}.qzeros'], Q[f'{p}.scales']
        if (dw, dz, ds) != ('I32', 'I32', 'F16'):
            fail(f'{p}: dtypes {dw}/{dz}/{ds}, expected I32/I32/F16')
        src = f32(S[f'{p}.weight'][1])
        out, inf = src.shape
        if qw.shape != (inf, out // 8) or qz.shape != (inf // g, out // 8) or sc.shape != (inf // g, out):
            fail(f'{p}: shapes {qw.shape} {qz.shape} {sc.shape} for a [{out}, {inf}] weight with group size {g}')
        w = dequant(qw, qz, sc, g)
        ref = transformers_dequant(qw, qz, sc, g)
        if ref is not None:
            if np.max(np.abs(ref - w)) != 0:
                fail(f'{p}: our unpacking and transformers\' unpack_awq differ')
            hf_checked += 1
        W[p] = w
    summary['checks'].append(f'shapes and dtypes ok; unpacked as transformers does for {hf_checked} of {len(prefixes)} (0: this transformers has no unpack_awq)')

    errs = {}
    for i in range(layers):
        base = f'language_model.model.layers.{i}.'
        orig = {l: f32(S[f'{base}{l}.weight'][1]) for l in LINEARS}
        deq = {l: W[f'{base}{l}'] for l in LINEARS}
        if a.method == 'awq':
            s_qkv = f32(S[f'{base}input_layernorm.weight'][1]) / f32(Q[f'{base}input_layernorm.weight'][1])
            s_gu = f32(S[f'{base}post_attention_layernorm.weight'][1]) / f32(Q[f'{base}post_attention_layernorm.weight'][1])
            for l in ['self_attn.q_proj', 'self_attn.k_proj']:
                errs[f'{i}.{l}'] = rel(deq[l] / s_qkv[None, :], orig[l])
            errs[f'{i}.mlp.gate_proj'] = rel(deq['mlp.gate_proj'] / s_gu[None, :], orig['mlp.gate_proj'])
            # v's rows carry o's inverse scales and up's rows down's: their products are scale-free.
            heads, kv = cs['text_config']['num_attention_heads'], cs['text_config']['num_key_value_heads']
            rep = heads // kv
            d = orig['self_attn.v_proj'].shape[0] // kv
            expand = lambda v: np.concatenate([v[(h // rep) * d:(h // rep + 1) * d] for h in range(heads)], axis=0)
            vo = lambda o, v, s: o @ expand(v / s[None, :])
            errs[f'{i}.o·v'] = rel(vo(deq['self_attn.o_proj'], deq['self_attn.v_proj'], s_qkv), vo(orig['self_attn.o_proj'], orig['self_attn.v_proj'], np.ones_like(s_qkv)))
            errs[f'{i}.down·up'] = rel(deq['mlp.down_proj'] @ (deq['mlp.up_proj'] / s_gu[None, :]), orig['mlp.down_proj'] @ orig['mlp.up_proj'])
        else:
            for l in LINEARS:
                errs[f'{i}.{l}'] = rel(deq[l], orig[l])
    worst = max(errs.values())
    summary['relative_weight_error'] = errs
    if worst > 0.25:
        fail(f'dequantized weights too far from the source (worst {worst:.3f}: {max(errs, key=errs.get)})')
    summary['checks'].append(f'dequantized weights approximate the source: mean relative error {np.mean(list(errs.values())):.4f}, worst {worst:.4f}')

    for n, (dt, arr) in S.items():
        stem = n.rsplit('.', 1)[0]
        if stem in prefixes:
            continue
        if n not in Q:
            fail(f'{n} is missing from the 4-bit folder')
        if Q[n][0] != dt:
            fail(f'{n}: dtype {Q[n][0]}, source {dt}')
        if 'layernorm' not in n and not np.array_equal(Q[n][1], arr):
            fail(f'{n} differs from the source')
    summary['checks'].append('every other tensor copied (norms may carry AWQ scales), same dtypes')
    for c in summary['checks']:
        print('ok:', c)
    if a.out:
        json.dump(summary, open(a.out, 'w'), indent=1)


if __name__ == '__main__':
    main()
