// The per-layer quantization report as a plain-text table: one row per layer, each linear's relative output error
// (and its AWQ exponent), then the mean per linear and the weight errors.
import { LINEARS } from './qwen2-groups.ts';
import type { QuantizeReport } from './quantize-model.ts';

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

export function reportTable(r: QuantizeReport): string {
  const head = ['layer', ...LINEARS];
  const rows = r.layers.map((l) => [String(l.layer), ...LINEARS.map((n) => {
    const e = l.linears.find((x) => x.linear === n)!;
    return e.alpha === null ? pct(e.outputError) : `${pct(e.outputError)} a=${e.alpha.toFixed(2)}`;
  })]);
  const mean = (f: (e: QuantizeReport['layers'][number]['linears'][number]) => number) => LINEARS.map((n) => {
    const v = r.layers.map((l) => f(l.linears.find((x) => x.linear === n)!));
    return pct(v.reduce((a, b) => a + b, 0) / Math.max(1, v.length));
  });
  rows.push(['mean', ...mean((e) => e.outputError)]);
  rows.push(['w err', ...mean((e) => e.weightError)]);
  const width = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(width[i])).join('  ');
  return [
    `${r.method}${r.clip ? ' + clip' : ''}, group size ${r.groupSize}: relative output error per linear on ${r.calibration.rowsKept} calibration rows`
      + ` (of ${r.calibration.rowsSeen}; ${r.calibration.sources.length} sources x ${r.calibration.frames} frames)`,
    line(head), ...rows.map(line),
    `weights ${(r.bytesBefore / 1e6).toFixed(1)} MB -> ${(r.bytesAfter / 1e6).toFixed(1)} MB in ${r.seconds.toFixed(1)} s`,
  ].join('\n') + '\n';
}
