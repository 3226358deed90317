import { describe, expect, it } from 'vitest';
import { countOf, formatBytes, formatClock, formatMs } from '../../../renderer/src/lib/format.ts';

describe('format', () => {
  it('formats clock times like a player', () => {
    expect(formatClock(0)).toBe('0:00');
    expect(formatClock(75.9)).toBe('1:15');
    expect(formatClock(3723)).toBe('1:02:03');
    expect(formatClock(Number.NaN)).toBe('–:––');
  });
  it('formats sizes and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(14.2 * 1024 * 1024)).toBe('14.2 MB');
    expect(formatMs(0.5)).toBe('0.50 ms');
    expect(formatMs(412.4)).toBe('412 ms');
    expect(formatMs(2200)).toBe('2.20 s');
  });

  it('countOf: singular for one ("1 token", not "1 tokens")', () => {
    expect(countOf(1, 'token')).toBe('1 token');
    expect(countOf(0, 'token')).toBe('0 tokens');
    expect(countOf(7, 'token')).toBe('7 tokens');
  });
});
