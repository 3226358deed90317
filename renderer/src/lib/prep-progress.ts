// What the preparation bar shows, from the engine's progress events: the stage that is actually running and a
// time-left estimate measured here, from this window's own clock. A stage's events may start past 0 (a batch of frames
// already done) and may end at total/total while the next stage works without an event of its own; neither may give a
// time left that is impossible (counting from 1970) or stale ("256/256 · about 1 s left" during the prefill).
import type { ChatProgress } from '../state/types.ts';

/** The stages before the first token, in the order they run. */
export const PREP_STAGES = ['decode', 'vision', 'prefill'] as const;

export interface PrepTrack {
  event: ChatProgress;
  /** When this stage's first event arrived here, and the count it carried then. */
  stageSeenAt: number;
  stageSeenDone: number;
}

export interface PrepView {
  stage: ChatProgress['stage'];
  /** "step 2 of 3" for the stages before the first token; null for the others. */
  step: { index: number; of: number } | null;
  /** done/total while the stage counts; null while it runs without counts (then the bar is indeterminate). */
  count: { done: number; total: number } | null;
  share: number | null;
  etaSec: number | null;
}

export function trackProgress(prev: PrepTrack | null, event: ChatProgress, now: number): PrepTrack {
  if (prev && prev.event.stage === event.stage && prev.event.conversationId === event.conversationId && event.done >= prev.stageSeenDone) {
    return { ...prev, event };
  }
  return { event, stageSeenAt: now, stageSeenDone: event.done };
}

export function prepView(t: PrepTrack, now: number): PrepView {
  const { event } = t;
  const order = PREP_STAGES as readonly string[];
  const at = order.indexOf(event.stage);
  // A finished stage means the next one is running (its own first event may not have arrived yet).
  if (at >= 0 && at + 1 < order.length && event.total > 0 && event.done >= event.total) {
    const next = PREP_STAGES[at + 1];
    return { stage: next, step: { index: at + 2, of: order.length }, count: null, share: null, etaSec: null };
  }
  const counting = event.total > 1 || (event.total === 1 && event.done > 0);
  const share = event.total > 0 ? Math.min(1, Math.max(0, event.done / event.total)) : null;
  const progressed = event.done - t.stageSeenDone;
  const elapsed = (now - t.stageSeenAt) / 1000;
  const etaSec = progressed > 0 && elapsed > 0 && event.done < event.total ? (elapsed / progressed) * (event.total - event.done) : null;
  return {
    stage: event.stage,
    step: at >= 0 ? { index: at + 1, of: order.length } : null,
    count: counting ? { done: event.done, total: event.total } : null,
    share: counting ? share : null,
    etaSec,
  };
}
