// Plots `sparsevila eval --out results.json` as grouped bars (accuracy per conversation turn for each policy x
// sparsity) into a PNG, drawing SVG and rasterizing it with headless Chromium (no plotting library needed):
//   npx tsx scripts/synthetic-world/plot_eval.ts results.json assets/benchmarks/toy-eval-per-turn.png [--chromium PATH]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { EvalResults } from '../../engine/cli/eval.ts';

const COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759'];

export function evalSvg(r: EvalResults, width = 960, height = 440): string {
  const turns = Math.max(...r.configs.map((c) => c.turns.length));
  const left = 60, right = 20, top = 50, bottom = 120;
  const plotW = width - left - right, plotH = height - top - bottom;
  const groupW = plotW / r.configs.length;
  const barW = (groupW * 0.75) / turns;
  const y = (v: number) => top + plotH * (1 - v);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts: string[] = [];
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${left}" y="24" font-size="16" font-family="sans-serif">Toy model, synthetic world: accuracy per turn `
    + `(${r.videos} held-out videos, ${r.frames} frames, ${esc(r.model)})</text>`);
  for (let g = 0; g <= 10; g += 2) {
    const v = g / 10;
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 8}" y="${y(v) + 4}" font-size="11" text-anchor="end" font-family="sans-serif">${g * 10}%</text>`);
  }
  r.configs.forEach((c, ci) => {
    const x0 = left + ci * groupW + groupW * 0.125;
    c.turns.forEach((t, ti) => {
      const acc = t.total ? t.correct / t.total : 0;
      const x = x0 + ti * barW;
      parts.push(`<rect x="${x}" y="${y(acc)}" width="${barW - 2}" height="${plotH * acc}" fill="${COLOURS[ti % COLOURS.length]}"/>`);
    });
    const cx = left + (ci + 0.5) * groupW;
    const [name, ...rest] = c.label.split(' ');
    parts.push(`<text x="${cx}" y="${top + plotH + 18}" font-size="11" text-anchor="middle" font-family="sans-serif">${esc(name)}</text>`);
    parts.push(`<text x="${cx}" y="${top + plotH + 32}" font-size="11" text-anchor="middle" font-family="sans-serif">${esc(rest.join(' '))}</text>`);
  });
  for (let ti = 0; ti < turns; ti++) {
    const x = left + ti * 90;
    parts.push(`<rect x="${x}" y="${height - 40}" width="12" height="12" fill="${COLOURS[ti % COLOURS.length]}"/>`);
    parts.push(`<text x="${x + 18}" y="${height - 30}" font-size="12" font-family="sans-serif">turn ${ti + 1}</text>`);
  }
  parts.push(`<text x="${left + turns * 90 + 20}" y="${height - 30}" font-size="12" font-family="sans-serif">`
    + `dense single-turn: ${r.single.total ? ((100 * r.single.correct) / r.single.total).toFixed(1) : '-'}% of ${r.single.total}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>\n`;
}

function main(argv: string[]): void {
  const [input, output] = argv;
  if (!input || !output) throw new Error('usage: plot_eval.ts RESULTS.json OUT.png [--chromium PATH]');
  const ci = argv.indexOf('--chromium');
  const chromium = ci >= 0 ? argv[ci + 1] : '/usr/bin/chromium';
  const r = JSON.parse(readFileSync(input, 'utf8')) as EvalResults;
  const dir = mkdtempSync(join(tmpdir(), 'plot-'));
  const svg = join(dir, 'plot.svg');
  writeFileSync(svg, evalSvg(r));
  execFileSync(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--screenshot=${resolve(output)}`,
    '--window-size=960,440', `file://${svg}`], { stdio: 'ignore' });
  console.log(`wrote ${output}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
