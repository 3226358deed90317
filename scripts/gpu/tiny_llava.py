"""A compact PyTorch twin of transformers' LlavaOnevisionForConditionalGeneration for the toy configuration, for fast
training (no generic-framework overhead) on the GPU machine or, slowly, on a CPU.

The parameter names are exactly the HF module's (`model.vision_tower.vision_model.*`, `model.multi_modal_projector.*`,
`model.image_newline`, `model.language_model.*`, `lm_head.*`), so `hf_model.load_state_dict(twin.state_dict())`
works; train_vlm.py checks that both give the same logits before saving with HF's save_pretrained.
Math as HF: SigLIP (pre-LN blocks, gelu_pytorch_tanh MLP, features = last layer output without post_layernorm),
projector Linear-GELU(erf)-Linear, bilinear 2x video pooling + one image_newline per video, Qwen2 (RMSNorm,
rotate_half RoPE, GQA, q/k/v biases, SwiGLU MLP).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

HAS_SDPA = hasattr(F, 'scaled_dot_product_attention')


def attention(q, k, v, causal, key_mask=None):
    """q,k,v [B, H, T, d]; key_mask [B, T] bool (True = attend)."""
    if HAS_SDPA and key_mask is None:
        return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    T = q.shape[-2]
    if causal:
        scores = scores.masked_fill(torch.ones(T, T, dtype=torch.bool, device=q.device).triu(1), float('-inf'))
    if key_mask is not None:
        scores = scores.masked_fill(~key_mask[:, None, None, :], float('-inf'))
    return torch.softmax(scores.float(), -1).to(q.dtype) @ v


class SiglipAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x):
        B, T, D = x.shape
        sh = lambda t: t.view(B, T, self.heads, D // self.heads).transpose(1, 2)
        o = attention(sh(self.q_proj(x)), sh(self.k_proj(x)), sh(self.v_proj(x)), causal=False)
        return self.out_proj(o.transpose(1, 2).reshape(B, T, D))


class SiglipMLP(nn.Module):
    def __init__(self, d, inner):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, inner), nn.Linear(inner, d)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate='tanh'))


class SiglipLayer(nn.Module):
    def __init__(self, d, heads, inner, eps):
        super().__init__()
        self.layer_norm1 = nn.LayerNorm(d, eps=eps)
        self.self_attn = SiglipAttention(d, heads)
        self.layer_norm2 = nn.LayerNorm(d, eps=eps)
        self.mlp = SiglipMLP(d, inner)

    def forward(self, x):
        x = x + self.self_attn(self.layer_norm1(x))
        return x + self.mlp(self.layer_norm2(x))


class SiglipEmbeddings(nn.Module):
    def __init__(self, d, patch, image):
        super().__init__()
        self.patch_embedding = nn.Conv2d(3, d, kernel_size=patch, stride=patch)
        self.position_embedding = nn.Embedding((image // patch) ** 2, d)

    def forward(self, pix):
        x = self.patch_embedding(pix).flatten(2).transpose(1, 2)
        return x + self.position_embedding.weight[None]


class SiglipEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layers = nn.ModuleList(SiglipLayer(cfg['v_hidden'], cfg['v_heads'], cfg['v_inner'], 1e-6)
                                    for _ in range(cfg['v_layers']))


class SiglipVisionTransformer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embeddings = SiglipEmbeddings(cfg['v_hidden'], cfg['patch'], cfg['image'])
        self.encoder = SiglipEncoder(cfg)
        self.post_layernorm = nn.LayerNorm(cfg['v_hidden'], eps=1e-6)  # unused for features (hidden_states[-1])

    def forward(self, pix):
        x = self.embeddings(pix)
        for layer in self.encoder.layers:
            x = layer(x)
        return x


class VisionTower(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.vision_model = SiglipVisionTransformer(cfg)


class Projector(nn.Module):
    def __init__(self, vd, td):
        super().__init__()
        self.linear_1, self.linear_2 = nn.Linear(vd, td), nn.Linear(td, td)

    def forward(self, x):
        return self.linear_2(F.gelu(self.linear_1(x)))


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        dt = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dt)


def rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat((-b, a), dim=-1)


class Qwen2Attention(nn.Module):
    def __init__(self, d, heads, kv_heads):
        super().__init__()
        self.heads, self.kv_heads, self.hd = heads, kv_heads, d // heads
        self.q_proj = nn.Linear(d, heads * self.hd)
        self.k_proj = nn.Linear(d, kv_heads * self.hd)
        self.v_proj = nn.Linear(d, kv_heads * self.hd)
        self.o_proj = nn.Linear(heads * self.hd, d, bias=False)
        self.keep_qk = False  # training-only: keep the roped q and (GQA-expanded) k for attention supervision
        self.qk = None

    def forward(self, x, cos, sin, key_mask, attn_mask=None):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.heads, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.kv_heads, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.kv_heads, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.heads // self.kv_heads
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        self.qk = (q, k) if self.keep_qk else None
        if attn_mask is not None:  # [B, 1, T, T] bool, True = attend (packed question segments)
            o = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
        else:  # right padding: causal masking alone keeps real tokens from seeing pads
            o = attention(q, k, v, causal=True)
        return self.o_proj(o.transpose(1, 2).reshape(B, T, -1))


class Qwen2MLP(nn.Module):
    def __init__(self, d, inner):
        super().__init__()
        self.gate_proj = nn.Linear(d, inner, bias=False)
        self.up_proj = nn.Linear(d, inner, bias=False)
        self.down_proj = nn.Linear(inner, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Qwen2Layer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg['t_hidden']
        self.input_layernorm = RMSNorm(d)
        self.self_attn = Qwen2Attention(d, cfg['t_heads'], cfg['t_kv_heads'])
        self.post_attention_layernorm = RMSNorm(d)
        self.mlp = Qwen2MLP(d, cfg['t_inner'])

    def forward(self, x, cos, sin, key_mask, attn_mask=None):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, key_mask, attn_mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Qwen2Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg['vocab'], cfg['t_hidden'])
        self.layers = nn.ModuleList(Qwen2Layer(cfg) for _ in range(cfg['t_layers']))
        self.norm = RMSNorm(cfg['t_hidden'])
        hd = cfg['t_hidden'] // cfg['t_heads']
        self.register_buffer('inv_freq', 1.0 / (cfg['rope_theta'] ** (torch.arange(0, hd, 2).float() / hd)),
                             persistent=False)
        self.keep_hidden = False  # training-only: keep each layer's output (residual stream) for probes
        self.hidden = []

    def forward(self, x, key_mask=None, position_ids=None, attn_mask=None):
        """position_ids [B, T] (default 0..T-1) and attn_mask [B, 1, T, T] (default causal) let one sequence hold
        several question segments that each continue right after the shared prefix."""
        T = x.shape[1]
        if position_ids is None:
            freqs = torch.outer(torch.arange(T, device=x.device).float(), self.inv_freq)[None, None]
        else:
            freqs = (position_ids.float()[..., None] * self.inv_freq)[:, None]
        emb = torch.cat((freqs, freqs), -1)
        cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        self.hidden = []
        for layer in self.layers:
            x = layer(x, cos, sin, key_mask, attn_mask)
            if self.keep_hidden:
                self.hidden.append(x)
        return self.norm(x)


class Inner(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.vision_tower = VisionTower(cfg)
        self.multi_modal_projector = Projector(cfg['v_hidden'], cfg['t_hidden'])
        self.image_newline = nn.Parameter(torch.randn(cfg['t_hidden']) / math.sqrt(cfg['t_hidden']))
        self.language_model = Qwen2Model(cfg)


class TinyLlavaOnevision(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.model = Inner(cfg)
        self.lm_head = nn.Linear(cfg['t_hidden'], cfg['vocab'], bias=False)
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def video_features(self, pix):
        """pix [B, F, 3, H, W] -> [B, F*pooled^2 + 1, D_text]."""
        B, Fr = pix.shape[:2]
        h = self.model.vision_tower.vision_model(pix.flatten(0, 1))
        h = self.model.multi_modal_projector(h)
        g = self.cfg['image'] // self.cfg['patch']
        h = h.view(B * Fr, g, g, -1).permute(0, 3, 1, 2)
        h = F.interpolate(h, size=[math.ceil(g / 2), math.ceil(g / 2)], mode='bilinear')
        h = h.flatten(2).transpose(1, 2).reshape(B, -1, h.shape[1])
        nl = self.model.image_newline[None, None, :].expand(B, 1, -1).to(h.dtype)
        return torch.cat((h, nl), 1)

    def forward(self, input_ids, pixel_values_videos, key_mask=None, return_features=False, position_ids=None,
                attn_mask=None):
        x = self.model.language_model.embed_tokens(input_ids)
        feats = self.video_features(pixel_values_videos)
        vmask = input_ids == self.cfg['video_token_id']
        x = x.masked_scatter(vmask[..., None].expand_as(x), feats.to(x.dtype).reshape(-1, feats.shape[-1]))
        logits = self.lm_head(self.model.language_model(x, key_mask, position_ids, attn_mask))
        return (logits, feats) if return_features else logits
