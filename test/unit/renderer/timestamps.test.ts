import { describe, expect, it } from 'vitest';
import { splitTimestamps } from '../../../renderer/src/lib/timestamps.ts';

const times = (text: string, dur: number | null = 10_000) =>
  splitTimestamps(text, dur)
    .filter((s) => s.kind === 'time')
    .map((s) => (s.kind === 'time' ? [s.text, s.sec] : null));

describe('splitTimestamps', () => {
  it('finds m:ss, mm:ss and h:mm:ss forms', () => {
    expect(times('The dog appears at 02:14, leaves at 0:42 and returns at 1:02:03.')).toEqual([
      ['02:14', 134],
      ['0:42', 42],
      ['1:02:03', 3723],
    ]);
  });

  it('finds seconds written out, with fractions', () => {
    expect(times('around 12.5s and again at 42 seconds, then 3 sec later')).toEqual([
      ['12.5s', 12.5],
      ['42 seconds', 42],
      ['3 sec', 3],
    ]);
  });

  it('keeps the text around the times intact', () => {
    const parts = splitTimestamps('at 0:05 a red square', 60);
    expect(parts.map((p) => p.text).join('')).toBe('at 0:05 a red square');
    expect(parts[1]).toEqual({ kind: 'time', text: '0:05', sec: 5 });
  });

  it('leaves times past the end of the video, ratios and words as plain text', () => {
    expect(times('at 5:00 in a 60 s clip', 60)).toEqual([['60 s', 60]]);
    expect(times('a 16:9 frame with 2 shapes')).toEqual([]);
    expect(times('1:75 is not a time')).toEqual([]);
  });
});
