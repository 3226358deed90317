import { describe, expect, it } from 'vitest';
import { clockLabels, countOf, formatBytes, formatClock, formatClockPrecise, formatMs } from '../../../renderer/src/lib/format.ts';

describe('format', () => {
  it('formats clock times like a player', () => {
    expect(formatClock(0)).toBe('0:00');
    expect(formatClock(75.9)).toBe('1:15');
    expect(formatClock(3723)).toBe('1:02:03');
    expect(formatClock(Number.NaN)).toBe('–:––');
  });
  it('formats sizes and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(14.2 * 1024 * 1024)).toBe('14.2 MiB');
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

describe('frame time labels', () => {
  it('short clips: as many decimals as it takes for distinct times to read differently', () => {
    // 8 frames of a 3 s clip at 10 fps (linspace frame numbers 0, 4, 8, ... / 10).
    const times = [0, 0.4, 0.8, 1.2, 1.7, 2.1, 2.5, 2.9];
    expect(clockLabels(times)).toEqual(['0:00.0', '0:00.4', '0:00.8', '0:01.2', '0:01.7', '0:02.1', '0:02.5', '0:02.9']);
    expect(new Set(clockLabels([0, 0.04, 0.08, 0.12])).size).toBe(4);
    expect(clockLabels([0, 1 / 3, 2 / 3])).toEqual(['0:00.0', '0:00.3', '0:00.6']);
  });

  it('long clips keep whole seconds; repeated times (a frame sampled twice) may share a label', () => {
    expect(clockLabels([0, 75.9, 3723])).toEqual(['0:00', '1:15', '1:02:03']);
    expect(clockLabels([0, 0, 1, 1])).toEqual(['0:00', '0:00', '0:01', '0:01']);
  });

  it('formats fractional seconds without float slips', () => {
    expect(formatClockPrecise(0.3, 1)).toBe('0:00.3');
    expect(formatClockPrecise(61.05, 2)).toBe('1:01.05');
    expect(formatClockPrecise(59.99, 1)).toBe('0:59.9');
  });
});
