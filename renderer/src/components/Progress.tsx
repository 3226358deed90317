// The preparation bar shown while frames are decoded, encoded and prefilled (before the first token).
import type { ChatProgress } from '../state/types.ts';

const STAGE: Record<ChatProgress['stage'], string> = {
  load: 'Loading the model',
  decode: 'Decoding frames',
  vision: 'Encoding frames (vision tower)',
  prefill: 'Prefilling the language model',
  warmup: 'Warming up both policies for a fair dense comparison',
  dense: 'Running dense on the same video (to measure the speedup)',
};

export function Progress({ p, onCancel }: { p: ChatProgress; onCancel(): void }) {
  const share = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  return (
    <div className="progress" role="status" aria-live="polite">
      <div className="progress-text">
        <span>
          {STAGE[p.stage]} <span className="muted">{p.total > 1 ? `${p.done}/${p.total}` : ''}</span>
        </span>
        <span className="muted">{p.etaSec !== null ? `about ${Math.max(1, Math.round(p.etaSec))} s left` : ''}</span>
        <button className="btn btn-small" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <div className="bar" role="progressbar" aria-label={STAGE[p.stage]} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(share * 100)}>
        <div className="bar-fill" style={{ width: `${share * 100}%` }} />
      </div>
    </div>
  );
}
