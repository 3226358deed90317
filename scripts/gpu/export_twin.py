"""Writes a trained tiny_llava twin (twin.pt) as a Hugging Face LlavaOnevision folder, in the layout transformers
5.17's save_pretrained writes for this class (seen on the GPU machine: `language_model.model.*`,
`language_model.lm_head.weight`, `vision_tower.{embeddings,encoder,post_layernorm}.*`, `multi_modal_projector.*`,
`image_newline`; BF16), without needing transformers:

  python3 scripts/gpu/export_twin.py --twin twin.pt --config assets/models/sparsevila-toy-shapes/config.json \
      --out assets/models/sparsevila-toy-shapes

--config is a config.json save_pretrained wrote for the same configuration (the committed one).
"""
import argparse
import json
import os
import re
import struct

import torch

RENAMES = [
    (r'^model\.language_model\.', 'language_model.model.'),
    (r'^lm_head\.', 'language_model.lm_head.'),
    (r'^model\.vision_tower\.vision_model\.', 'vision_tower.'),
    (r'^model\.multi_modal_projector\.', 'multi_modal_projector.'),
    (r'^model\.image_newline$', 'image_newline'),
]


def hf_name(k):
    for pat, rep in RENAMES:
        if re.match(pat, k):
            return re.sub(pat, rep, k)
    raise ValueError('unexpected parameter %s' % k)


def write_safetensors(path, tensors):
    """tensors: name -> torch tensor (bf16). Keys sorted, as safetensors writes them."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        data = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        dtype = {torch.bfloat16: 'BF16', torch.float32: 'F32'}[t.dtype]
        header[name] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    meta = {'__metadata__': {'format': 'pt'}}
    meta.update(header)
    h = json.dumps(meta, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--twin', required=True)
    p.add_argument('--config', required=True)
    p.add_argument('--out', required=True)
    a = p.parse_args()
    state = torch.load(a.twin, map_location='cpu')
    with open(a.config) as f:
        cfg = json.load(f)
    t = cfg['text_config']
    emb = state['model.language_model.embed_tokens.weight']
    assert list(emb.shape) == [t['vocab_size'], t['hidden_size']], 'config does not match the weights'
    tensors = {hf_name(k): v.detach().to(torch.bfloat16) for k, v in state.items()}
    os.makedirs(a.out, exist_ok=True)
    write_safetensors(os.path.join(a.out, 'model.safetensors'), tensors)
    cfg['dtype'] = 'bfloat16'
    with open(os.path.join(a.out, 'config.json'), 'w') as f:
        json.dump(cfg, f, indent=2)
        f.write('\n')
    print('wrote %d tensors to %s' % (len(tensors), a.out))


if __name__ == '__main__':
    main()
