import { describe, expect, it } from 'vitest';
import { formatFixed2, llavaVideoTimeInstruction, sampleFrameIndices, uniformFrameIndices } from '../../../engine/core/video/sampling.ts';

describe('sampling', () => {
  it('uniform matches numpy.linspace(0, total-1, n, dtype=int)', () => {
    // Values printed by numpy 2.4: np.linspace(0, 299, 7, dtype=int), np.linspace(0, 39, 8, dtype=int), etc.
    expect(uniformFrameIndices(300, 7)).toEqual([0, 49, 99, 149, 199, 249, 299]);
    expect(uniformFrameIndices(40, 8)).toEqual([0, 5, 11, 16, 22, 27, 33, 39]);
    expect(uniformFrameIndices(10, 1)).toEqual([0]);
    expect(uniformFrameIndices(5, 8)).toEqual([0, 0, 1, 1, 2, 2, 3, 4]);
    const big = uniformFrameIndices(216000, 1024);
    expect(big.length).toBe(1024);
    expect(big[0]).toBe(0);
    expect(big[1023]).toBe(215999);
    expect(big.every((v, i) => i === 0 || v > big[i - 1])).toBe(true);
  });

  it('fixed fps takes every round(videoFps/fps)-th frame, uniform past the cap', () => {
    expect(sampleFrameIndices(40, 10, { mode: 'fps', fps: 2, maxFrames: 100 })).toEqual([0, 5, 10, 15, 20, 25, 30, 35]);
    expect(sampleFrameIndices(300, 30, { mode: 'fps', fps: 1, maxFrames: 4 })).toEqual(uniformFrameIndices(300, 4));
  });

  it('rejects bad frame counts', () => {
    expect(() => sampleFrameIndices(10, 10, { mode: 'uniform', frames: 0 })).toThrow(/1 to 1024/);
    expect(() => sampleFrameIndices(10, 10, { mode: 'uniform', frames: 1025 })).toThrow(/1 to 1024/);
    expect(() => sampleFrameIndices(10, 10, { mode: 'fps', fps: 0, maxFrames: 8 })).toThrow(/positive/);
  });

  it('formats like Python f"{x:.2f}" (ties to even)', () => {
    expect([0.125, 0.375, 0.625, 0.875, 1.125, 2.5, 0.005, 1 / 3, 12.345].map(formatFixed2)).toEqual([
      '0.12', '0.38', '0.62', '0.88', '1.12', '2.50', '0.01', '0.33', '12.35',
    ]);
  });

  it('builds the LLaVA-Video time instruction verbatim', () => {
    expect(llavaVideoTimeInstruction(60, [0, 1.9333333, 59.9666])).toBe(
      'The video lasts for 60.00 seconds, and 3 frames are uniformly sampled from it. These frames are located at ' +
        '0.00s,1.93s,59.97s.Please answer the following questions related to this video.',
    );
  });
});
