// The "Video" settings of a model whose processor samples by rate (Qwen2.5-VL, Qwen3-VL): frames per second, the most
// frames and the pixel budget (each empty setting follows the model's own), with what they imply for the open video.
import type { MemoryEstimate, Settings } from '../../../electron/contract.ts';
import { checkMaxFrames, checkMaxPixels, checkSampleFps, FAMILY_LABEL, impliedRateTokens, type RateSamplingModel } from '../lib/rate-sampling.ts';
import { memoryText } from './Chat.tsx';
import { CheckedInput } from './CheckedInput.tsx';

interface Props {
  settings: Settings;
  model: RateSamplingModel;
  estimate: MemoryEstimate | null;
  onChange(patch: Partial<Settings>): void;
}

export function RateSampling({ settings: s, model, estimate, onChange }: Props) {
  const own = s.sampleFps === null && s.maxFrames === null && s.maxPixels === null;
  const implied = estimate ? impliedRateTokens(estimate) : null;
  return (
    <fieldset className="group">
      <legend>Video</legend>
      <p className="hint">
        {FAMILY_LABEL[model.family]} samples frames by rate (between {model.minFrames} and the maximum, evenly over the video) and sizes them
        to a pixel budget {model.budget === 'video' ? 'for the whole video' : 'per frame'}, as its Hugging Face processor does; every
        two frames share one set of {model.patchSize * model.mergeSize} px tokens.
      </p>
      <div className="field">
        <div className="row">
          <label htmlFor="set-sample-fps">Frames per second</label>
          <CheckedInput id="set-sample-fps" value={s.sampleFps ?? model.fps} step={0.5} check={checkSampleFps} onValue={(v) => onChange({ sampleFps: v })} />
          <label htmlFor="set-rate-max-frames">at most</label>
          <CheckedInput id="set-rate-max-frames" value={s.maxFrames ?? model.maxFrames} check={checkMaxFrames} onValue={(v) => onChange({ maxFrames: v })} />
        </div>
      </div>
      <div className="field">
        <label htmlFor="set-max-pixels">Maximum pixels {model.budget === 'video' ? 'for the whole video' : 'per frame'}</label>
        <div className="row">
          <CheckedInput id="set-max-pixels" value={s.maxPixels ?? model.maxPixels} step={model.patchSize * model.mergeSize} check={(raw) => checkMaxPixels(raw, model)} onValue={(v) => onChange({ maxPixels: v })} />
          <button className="btn btn-small" disabled={own} onClick={() => onChange({ sampleFps: null, maxFrames: null, maxPixels: null })}>
            Model&apos;s own
          </button>
        </div>
        <p className="hint">
          The model&apos;s own: {model.fps} fps, at most {model.maxFrames} frames, {model.maxPixels} pixels.
        </p>
      </div>
      <p className="hint implied" data-testid="frames-implied">
        {implied ?? 'Open a video: its size and length decide the frames and tokens.'}
        {estimate && implied ? ` · ${memoryText(estimate)}${estimate.fits ? '' : ' — too big'}` : ''}
      </p>
    </fieldset>
  );
}
