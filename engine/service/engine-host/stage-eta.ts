// Time left in a progress stage, from the rate measured since the stage's first event (whatever its `done`: a stage
// whose first event is already past 0 must not count from the epoch). A stage whose count goes back starts over.
export class StageEta {
  private stages = new Map<string, { at: number; done: number; last: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Seconds left in `stage` at `done` of `total`, or null until two events of the stage have shown progress. */
  update(stage: string, done: number, total: number): number | null {
    const t = this.now();
    const s = this.stages.get(stage);
    if (!s || done < s.last) {
      this.stages.set(stage, { at: t, done, last: done });
      return null;
    }
    s.last = done;
    if (done <= s.done) return null;
    return ((t - s.at) / 1000 / (done - s.done)) * Math.max(0, total - done);
  }
}
