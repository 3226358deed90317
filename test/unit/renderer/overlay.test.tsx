// Issue 16 item 9: the token view never repaints what it marks (questions may be about colours): read tokens are left
// as they are and outlined; only neutral black dims the rest.
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import type { InspectorTurn } from '../../../electron/contract.ts';
import { TokenLegend } from '../../../renderer/src/components/TokenLegend.tsx';
import { cellPaint, COLORS } from '../../../renderer/src/lib/overlay.ts';
import { PRUNED, READ_ALL, RETAINED, RETRIEVED } from '../../../renderer/src/lib/tokenMap.ts';

const one = (c: number, depth: number | null = null, layers = 0) => cellPaint({ cls: Uint8Array.of(c), depth: depth === null ? null : Uint16Array.of(depth), layers }, 0);

describe('token overlay', () => {
  it('a retrieved token is outlined, not filled: its own colours stay', () => {
    expect(one(RETRIEVED)).toEqual({ dim: 0, outline: expect.any(Number) });
    expect(one(RETRIEVED).outline).toBeGreaterThan(0);
    expect(one(READ_ALL)).toEqual({ dim: 0, outline: 0 });
  });
  it('other tokens are only dimmed with neutral black; fewer layers = a fainter outline, never a hue', () => {
    expect(one(PRUNED).dim).toBeGreaterThan(one(RETAINED).dim);
    expect(one(RETAINED)).toEqual({ dim: expect.any(Number), outline: 0 });
    expect(COLORS.pruned.slice(0, 3)).toEqual([0, 0, 0]);
    expect(COLORS.retained.slice(0, 3)).toEqual([0, 0, 0]);
    const few = one(RETRIEVED, 1, 4), all = one(RETRIEVED, 4, 4);
    expect(few.outline).toBeLessThan(all.outline);
    expect(all.dim).toBe(0);
  });
  it('the legend shows the same: no amber fill, an amber outline for retrieved', () => {
    const turn = {
      turn: 1, frames: 1, gridH: 1, gridW: 2, frameTimes: [0], saliency: [1, 0], retained: [0], retrievedByLayer: [[0]],
      stats: { policy: 'sparsevila' },
    } as unknown as InspectorTurn;
    const html = renderToStaticMarkup(<TokenLegend turn={turn} layer="any" />);
    expect(html).not.toMatch(/background:rgba\(255,\s*178/);
    expect(html).toMatch(/box-shadow:inset 0 0 0 2px rgba\(255,178,36/);
  });
});
