// A minimal protobuf encoder for ONNX ModelProto: just the fields our small op graphs use.
// Field numbers follow onnx/onnx.proto (ir_version 8, opset 17; contrib ops name their domain, e.g. com.microsoft).

class Writer {
  private chunks: Uint8Array[] = [];
  private len = 0;
  push(b: Uint8Array): void { this.chunks.push(b); this.len += b.length; }
  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    while (x >= 0x80n) { out.push(Number(x & 0x7fn) | 0x80); x >>= 7n; }
    out.push(Number(x));
    this.push(Uint8Array.from(out));
  }
  tag(field: number, wire: number): void { this.varint((field << 3) | wire); }
  int(field: number, v: number | bigint): void { this.tag(field, 0); this.varint(v); }
  bytes(field: number, b: Uint8Array): void { this.tag(field, 2); this.varint(b.length); this.push(b); }
  str(field: number, s: string): void { this.bytes(field, new TextEncoder().encode(s)); }
  msg(field: number, build: (w: Writer) => void): void { const w = new Writer(); build(w); this.bytes(field, w.finish()); }
  float(field: number, f: number): void {
    this.tag(field, 5);
    const b = new Uint8Array(4); new DataView(b.buffer).setFloat32(0, f, true); this.push(b);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const c of this.chunks) { out.set(c, o); o += c.length; }
    return out;
  }
}

export const ElemType = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7 } as const;
export type ElemTypeName = keyof typeof ElemType;

export type AttrValue = number | number[] | string | { floats: number[] } | { float: number };

export interface NodeSpec {
  op: string;
  /** Operator set domain; omitted: the default ONNX domain. */
  domain?: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, AttrValue>;
}

export interface ValueSpec {
  name: string;
  type: ElemTypeName;
  /** Number = fixed dim, string = symbolic dim. */
  dims: (number | string)[];
}

export interface InitializerSpec {
  name: string;
  type: 'float' | 'int64' | 'uint8';
  dims: number[];
  /** The values, or (large constants, e.g. packed weights) their little-endian bytes. */
  values: number[] | Uint8Array;
}

export interface GraphSpec {
  nodes: NodeSpec[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  initializers?: InitializerSpec[];
  /** Operator sets besides the default domain's (e.g. { domain: 'com.microsoft', version: 1 }). */
  opsets?: { domain: string; version: number }[];
}

function writeAttr(w: Writer, name: string, v: AttrValue): void {
  w.str(1, name);
  if (typeof v === 'string') { w.bytes(4, new TextEncoder().encode(v)); w.int(20, 3); }
  else if (typeof v === 'number') { w.int(3, v); w.int(20, 2); }
  else if (Array.isArray(v)) { for (const x of v) w.int(8, x); w.int(20, 7); }
  else if ('float' in v) { w.float(2, v.float); w.int(20, 1); }
  else { for (const x of v.floats) w.float(7, x); w.int(20, 6); }
}

function writeValueInfo(w: Writer, v: ValueSpec): void {
  w.str(1, v.name);
  w.msg(2, (t) => t.msg(1, (tt) => {
    tt.int(1, ElemType[v.type]);
    tt.msg(2, (s) => {
      for (const d of v.dims) s.msg(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.str(2, d)));
    });
  }));
}

function writeInitializer(w: Writer, init: InitializerSpec): void {
  for (const d of init.dims) w.int(1, d);
  w.int(2, ElemType[init.type]);
  w.str(8, init.name);
  const v = init.values;
  const raw = v instanceof Uint8Array ? v
    : init.type === 'float' ? new Uint8Array(Float32Array.from(v).buffer)
    : init.type === 'uint8' ? Uint8Array.from(v)
    : new Uint8Array(BigInt64Array.from(v.map((x) => BigInt(x))).buffer);
  w.bytes(9, raw);
}

export function encodeModel(g: GraphSpec, opset = 17): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.str(2, 'sparsevila');
  w.msg(7, (gw) => {
    g.nodes.forEach((n, i) => gw.msg(1, (nw) => {
      for (const x of n.inputs) nw.str(1, x);
      for (const x of n.outputs) nw.str(2, x);
      nw.str(3, `n${i}`);
      nw.str(4, n.op);
      if (n.domain) nw.str(7, n.domain);
      for (const [k, v] of Object.entries(n.attrs ?? {})) nw.msg(5, (aw) => writeAttr(aw, k, v));
    }));
    gw.str(2, 'g');
    for (const init of g.initializers ?? []) gw.msg(5, (iw) => writeInitializer(iw, init));
    for (const v of g.inputs) gw.msg(11, (vw) => writeValueInfo(vw, v));
    for (const v of g.outputs) gw.msg(12, (vw) => writeValueInfo(vw, v));
  });
  w.msg(8, (ow) => { ow.str(1, ''); ow.int(2, opset); });
  for (const o of g.opsets ?? []) w.msg(8, (ow) => { ow.str(1, o.domain); ow.int(2, o.version); });
  return w.finish();
}
