// The preparation bar shown while frames are decoded, encoded and prefilled (before the first token).
import type { ChatProgress } from '../state/types.ts';
import type { PrepView } from '../lib/prep-progress.ts';

const STAGE: Record<ChatProgress['stage'], string> = {
  load: 'Loading the model',
  decode: 'Decoding frames',
  vision: 'Encoding frames (vision tower)',
  prefill: 'Prefilling the language model',
  warmup: 'Warming up both policies for a fair dense comparison',
  dense: 'Running dense on the same video (to measure the speedup)',
};

export function Progress({ view, onCancel }: { view: PrepView; onCancel(): void }) {
  const { stage, step, count, share, etaSec } = view;
  return (
    <div className="progress" role="status" aria-live="polite">
      <div className="progress-text">
        <span>
          {STAGE[stage]}
          {step && <span className="muted"> · step {step.index} of {step.of}</span>}
          {count && <span className="muted"> · {count.done}/{count.total}</span>}
        </span>
        <span className="muted">{etaSec !== null ? `about ${Math.max(1, Math.round(etaSec))} s left` : ''}</span>
        <button className="btn btn-small" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {share !== null ? (
        <div className="bar" role="progressbar" aria-label={STAGE[stage]} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(share * 100)}>
          <div className="bar-fill" style={{ width: `${share * 100}%` }} />
        </div>
      ) : (
        <div className="bar" role="progressbar" aria-label={`${STAGE[stage]} (running)`}>
          <div className="bar-fill bar-busy" />
        </div>
      )}
    </div>
  );
}
