// The linears of a Qwen2 decoder layer that AWQ scales together, each group with the op its input comes from (where
// the inverse scales are folded): q/k/v after input_layernorm, gate/up after post_attention_layernorm, o_proj after
// v_proj (through attention, which is linear in v), down_proj after up_proj (silu(gate)·up is linear in up).
import { qwen2LayerTensors } from '../models/qwen2.ts';
import type { TextConfig } from '../models/qwen2-config.ts';

export type GroupKind = 'qkv' | 'o' | 'gateUp' | 'down';
export const GROUP_KINDS: readonly GroupKind[] = ['qkv', 'o', 'gateUp', 'down'];

/** The seven quantized linears of a layer, by short name. */
export const LINEARS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
export type LinearName = (typeof LINEARS)[number];

export const GROUP_MEMBERS: Record<GroupKind, readonly LinearName[]> = {
  qkv: ['q', 'k', 'v'], o: ['o'], gateUp: ['gate', 'up'], down: ['down'],
};

export function groupKey(layer: number, kind: GroupKind): string {
  return `${layer}:${kind}`;
}

/** Weight and bias names (canonical) of a layer's linears and norms. */
export function layerNames(c: TextConfig, layer: number) {
  const t = qwen2LayerTensors(c, layer);
  const lin = { q: t.attn.q, k: t.attn.k, v: t.attn.v, o: t.attn.o, gate: t.mlp.gate, up: t.mlp.up, down: t.mlp.down };
  return {
    inputNorm: t.inputNorm.name,
    postNorm: t.postNorm.name,
    linears: Object.fromEntries(LINEARS.map((n) => [n, { weight: lin[n].w.name, bias: lin[n].b?.name, shape: lin[n].w.shape as [number, number] }])) as
      Record<LinearName, { weight: string; bias: string | undefined; shape: [number, number] }>,
  };
}

/** Weight name of each group's first linear -> the group's key: what the calibration run records (q, k and v read
 *  the same input, so recording q's is enough). */
export function groupWatchList(c: TextConfig): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < c.layers; i++) {
    const n = layerNames(c, i).linears;
    for (const kind of GROUP_KINDS) m.set(n[GROUP_MEMBERS[kind][0]].weight, groupKey(i, kind));
  }
  return m;
}

/** o_proj's input feature -> the value channel it reads (head h reads value head floor(h / (heads / kvHeads))). */
export function valueChannelOf(c: TextConfig): Int32Array {
  const rep = c.heads / c.kvHeads, d = c.headDim;
  return Int32Array.from({ length: c.heads * d }, (_, f) => Math.floor(Math.floor(f / d) / rep) * d + (f % d));
}
