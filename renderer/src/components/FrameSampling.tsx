// The "Video" settings: frames by count or by rate with a maximum, what they imply (visual tokens, memory), and why an
// input is refused when it is outside what the engine can sample.
import type { MemoryEstimate, Settings } from '../../../electron/contract.ts';
import { checkFrameCount, checkRate, framesFor, impliedTokens, RATE_LIMITS, FRAME_LIMITS, type FrameSampling as Sampling } from '../lib/frame-sampling.ts';
import { usesPrefillSparsity } from '../lib/policies.ts';
import { memoryText } from './Chat.tsx';
import { CheckedInput } from './CheckedInput.tsx';

const FRAME_PRESETS = [8, 16, 32, 64, 128, 256];

interface Props {
  settings: Settings;
  sampling: Sampling;
  /** The open video's length (null without one: a rate cannot be turned into frames yet). */
  durationSec: number | null;
  tokensPerFrame: number | null;
  estimate: MemoryEstimate | null;
  onSampling(s: Sampling): void;
  onChange(patch: Partial<Settings>): void;
}

export function FrameSampling({ settings: s, sampling, durationSec, tokensPerFrame, estimate, onSampling, onChange }: Props) {
  const keep = usesPrefillSparsity(s.policy) ? 1 - s.prefillSparsity : 1;
  const rateFrames = sampling.mode === 'rate' ? framesFor(sampling, durationSec, s.frames) : null;
  return (
    <fieldset className="group">
      <legend>Video</legend>
      <div className="seg" role="group" aria-label="Sample frames by">
        <button className={sampling.mode === 'count' ? 'seg-btn on' : 'seg-btn'} aria-pressed={sampling.mode === 'count'} onClick={() => onSampling({ mode: 'count' })}>
          Number of frames
        </button>
        <button
          className={sampling.mode === 'rate' ? 'seg-btn on' : 'seg-btn'}
          aria-pressed={sampling.mode === 'rate'}
          onClick={() => onSampling({ mode: 'rate', fps: 1, max: Math.max(s.frames, 64) })}
        >
          Frames per second
        </button>
      </div>
      {sampling.mode === 'count' ? (
        <div className="field">
          <label htmlFor="set-frames">Frames sampled (evenly over the video)</label>
          <div className="row">
            <CheckedInput id="set-frames" value={s.frames} check={(raw) => checkFrameCount(raw)} onValue={(v) => onChange({ frames: v })} />
            <div className="seg" role="group" aria-label="Frame presets">
              {FRAME_PRESETS.map((n) => (
                <button key={n} className={n === s.frames ? 'seg-btn on' : 'seg-btn'} aria-pressed={n === s.frames} onClick={() => onChange({ frames: n })}>
                  {n}
                </button>
              ))}
            </div>
          </div>
        </div>
      ) : (
        <div className="field">
          <div className="row">
            <label htmlFor="set-fps">Frames per second</label>
            <CheckedInput id="set-fps" value={sampling.fps} step={0.1} check={checkRate} onValue={(fps) => onSampling({ ...sampling, fps })} />
            <label htmlFor="set-max-frames">at most</label>
            <CheckedInput id="set-max-frames" value={sampling.max} check={(raw) => checkFrameCount(raw, 'Maximum')} onValue={(max) => onSampling({ ...sampling, max })} />
          </div>
          <p className="hint">
            {rateFrames === null
              ? 'Open a video: its length turns the rate into a number of frames.'
              : `${sampling.fps} fps over ${durationSec!.toFixed(1)} s = ${Math.round(durationSec! * sampling.fps)} frames${
                  Math.round(durationSec! * sampling.fps) > sampling.max ? `, capped at the maximum ${sampling.max}` : ''
                }.`}{' '}
            Rates from {RATE_LIMITS.min} to {RATE_LIMITS.max} fps, at most {FRAME_LIMITS.max} frames.
          </p>
        </div>
      )}
      <p className="hint implied" data-testid="frames-implied">
        {tokensPerFrame ? impliedTokens(s.frames, tokensPerFrame, keep) : `${s.frames} frames`}
        {estimate ? ` · ${memoryText(estimate)}${estimate.fits ? '' : ' — too big'}` : ''}
      </p>
    </fieldset>
  );
}
