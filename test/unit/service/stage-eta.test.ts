import { describe, expect, it } from 'vitest';
import { StageEta } from '../../../engine/service/engine-host/stage-eta.ts';

describe('StageEta (engine progress time left)', () => {
  it('a stage whose first event is already past 0 counts from that event, not from 1970', () => {
    let t = 1_000_000;
    const eta = new StageEta(() => t);
    expect(eta.update('vision', 256, 512)).toBeNull();
    t += 2000;
    expect(eta.update('vision', 384, 512)).toBeCloseTo(2, 5);  // 128 frames in 2 s, 128 left
  });

  it('keeps each stage apart and restarts when a stage starts over', () => {
    let t = 0;
    const eta = new StageEta(() => t);
    eta.update('vision', 0, 10);
    t = 1000;
    expect(eta.update('vision', 5, 10)).toBeCloseTo(1, 5);
    expect(eta.update('prefill', 0, 4)).toBeNull();
    t = 5000;
    expect(eta.update('prefill', 2, 4)).toBeCloseTo(4, 5);
    expect(eta.update('vision', 0, 10)).toBeNull();  // a new run of the stage
    t = 5500;
    expect(eta.update('vision', 1, 10)).toBeCloseTo(4.5, 5);
  });
});
