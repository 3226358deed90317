// Generation and sparsity settings, the backend, and the memory estimate for the next question.
import type { EngineStatus, MemoryEstimate, ModelInfo, Settings } from '../../../electron/contract.ts';
import { SETTINGS_LIMITS } from '../../../electron/settings-limits.ts';
import { formatBytes } from '../lib/format.ts';
import { LogsFolderButton } from './LogsFolderButton.tsx';
import type { Checked, FrameSampling as FrameSamplingPref } from '../lib/frame-sampling.ts';
import { POLICIES, usesDecodeSparsity, usesPrefillSparsity } from '../lib/policies.ts';
import { CheckedInput } from './CheckedInput.tsx';
import { FrameSampling } from './FrameSampling.tsx';
import { RateSampling } from './RateSampling.tsx';
import { RetrievalSetting } from './RetrievalSetting.tsx';

interface Props {
  settings: Settings;
  engine: EngineStatus | null;
  models: ModelInfo[];
  estimate: MemoryEstimate | null;
  onChange(patch: Partial<Settings>): void;
  onManageModels(): void;
  /** Frames by count or by rate; the open video's length and the model's tokens per frame say what they imply. */
  sampling?: FrameSamplingPref;
  onSampling?(s: FrameSamplingPref): void;
  durationSec?: number | null;
  tokensPerFrame?: number | null;
}

const HISTORY_HINT: Record<Settings['history'], string> = {
  text: 'A follow-up question can refer to earlier answers ("and after that?"). The video stays in memory; the earlier text is read again each turn.',
  none: 'Each question sees only the video, as in the paper\'s multi-turn evaluation: "and after that?" has nothing to refer to.',
};

function checkMaxNewTokens(raw: string): Checked {
  const v = Number(raw.trim()), { min: lo, max: hi } = SETTINGS_LIMITS.maxNewTokens;
  if (raw.trim() === '' || !Number.isInteger(v)) return { ok: false, error: `Max new tokens: type a whole number from ${lo} to ${hi}.` };
  if (v < lo || v > hi) return { ok: false, error: `Max new tokens: ${v} is outside ${lo}–${hi}.` };
  return { ok: true, value: v };
}

export function SettingsPanel(props: Props) {
  const { settings: s, engine, models, estimate, onChange, onManageModels } = props;
  const { sampling = { mode: 'count' }, onSampling = () => {}, durationSec = null, tokensPerFrame = null } = props;
  const policy = POLICIES.find((p) => p.id === s.policy);
  // A model that samples by rate (Qwen-VL) has its own video controls; the rest sample a number of frames.
  const rateModel = models.find((m) => m.id === s.modelId)?.video ?? null;
  return (
    <div className="settings" aria-label="Settings">
      <fieldset className="group">
        <legend>Model &amp; backend</legend>
        <div className="field">
          <label htmlFor="set-model">Model</label>
          <div className="row">
            <select id="set-model" className="input" value={s.modelId ?? ''} onChange={(e) => onChange({ modelId: e.target.value || null })}>
              <option value="">Default ({models.find((m) => m.source === 'embedded')?.name ?? 'embedded'})</option>
              {models.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name} · {m.source}
                </option>
              ))}
            </select>
            <button className="btn btn-small" onClick={onManageModels}>
              Manage…
            </button>
          </div>
        </div>
        <div className="field">
          <label htmlFor="set-backend">Backend</label>
          <select id="set-backend" className="input" value={s.backend} onChange={(e) => onChange({ backend: e.target.value as Settings['backend'] })}>
            <option value="auto">Automatic (GPU when present)</option>
            <option value="cuda" disabled={engine !== null && !engine.gpuName}>
              GPU (CUDA){engine?.gpuName ? ` — ${engine.gpuName}` : ' — none detected'}
            </option>
            <option value="cpu">CPU</option>
          </select>
          <p className="hint">
            {engine
              ? engine.gpuName
                ? `Detected ${engine.gpuName}${engine.gpuMemoryBytes ? ` (${formatBytes(engine.gpuMemoryBytes)})` : ''}; engine runs on ${engine.backend.toUpperCase()}.`
                : `No CUDA GPU detected; the engine runs on the CPU.`
              : 'Engine status unknown.'}
          </p>
        </div>
        <div className="field">
          <label htmlFor="set-vision">Vision tower precision</label>
          <select id="set-vision" className="input" value={s.visionPrecision} onChange={(e) => onChange({ visionPrecision: e.target.value as Settings['visionPrecision'] })}>
            <option value="16bit">16-bit (exact)</option>
            <option value="8bit" disabled={Boolean(rateModel)}>8-bit (W8A8, faster on the CPU)</option>
          </select>
          <p className="hint">
            {rateModel
              ? '8-bit vision is implemented for LLaVA-OneVision models only.'
              : '8-bit runs the vision tower\'s linear layers on int8 weights and activations (SmoothQuant-smoothed, calibrated on a few synthetic frames when the model loads, which makes loading slower): frames encode faster on the CPU, and the video features differ a little from 16-bit ones (measured in BENCHMARKS.md). CPU backend only for now: the GPU refuses it.'}
          </p>
        </div>
      </fieldset>

      {rateModel ? (
        <RateSampling settings={s} model={rateModel} estimate={estimate} onChange={onChange} />
      ) : (
        <FrameSampling
          settings={s}
          sampling={sampling}
          durationSec={durationSec}
          tokensPerFrame={tokensPerFrame}
          estimate={estimate}
          onSampling={onSampling}
          onChange={onChange}
        />
      )}

      <fieldset className="group">
        <legend>Sparsity</legend>
        <div className="field">
          <label htmlFor="set-policy">Policy</label>
          <select id="set-policy" className="input" value={s.policy} onChange={(e) => onChange({ policy: e.target.value as Settings['policy'] })}>
            {POLICIES.map((p) => (
              <option key={p.id} value={p.id}>
                {p.label}
              </option>
            ))}
          </select>
          {policy && <p className="hint">{policy.blurb}</p>}
        </div>
        <Slider
          id="set-prefill"
          label="Prefill sparsity (pruned before the LLM)"
          value={s.prefillSparsity}
          disabled={!usesPrefillSparsity(s.policy)}
          onChange={(v) => onChange({ prefillSparsity: v })}
        />
        <Slider
          id="set-decode"
          label="Decode sparsity (not read per question)"
          value={s.decodeSparsity}
          disabled={!usesDecodeSparsity(s.policy)}
          onChange={(v) => onChange({ decodeSparsity: v })}
        />
        <RetrievalSetting value={s.retrieval} disabled={!usesDecodeSparsity(s.policy)} onChange={(retrieval) => onChange({ retrieval })} />
        <div className={usesPrefillSparsity(s.policy) ? 'field inline' : 'field inline disabled'}>
          <label htmlFor="set-floor">Per-frame floor (tokens kept in every frame)</label>
          <input
            id="set-floor"
            className="input num"
            type="number"
            min={0}
            max={4096}
            value={s.perFrameFloor}
            disabled={!usesPrefillSparsity(s.policy)}
            onChange={(e) => onChange({ perFrameFloor: Math.max(0, Math.min(4096, Math.round(Number(e.target.value) || 0))) })}
          />
        </div>
        <div className="field">
          <label htmlFor="set-history">Earlier turns the model sees</label>
          <select id="set-history" className="input" value={s.history} onChange={(e) => onChange({ history: e.target.value as Settings['history'] })}>
            <option value="text">Earlier questions and answers (like any chat)</option>
            <option value="none">None: each question on its own (the SparseVILA paper's evaluation protocol)</option>
          </select>
          <p className="hint">{HISTORY_HINT[s.history]}</p>
        </div>
        <label className={s.policy === 'dense' ? 'check disabled' : 'check'} title={s.policy === 'dense' ? 'Dense is the baseline itself' : undefined}>
          <input
            type="checkbox"
            checked={s.measureDense && s.policy !== 'dense'}
            disabled={s.policy === 'dense'}
            onChange={(e) => onChange({ measureDense: e.target.checked })}
          />
          Also run dense each turn to measure the speedup (slower){s.policy === 'dense' ? ' — not under dense, the baseline itself' : ''}
        </label>
        {s.measureDense && s.policy !== 'dense' && (
          <p className="hint">
            Both policies run once on a one-frame warm-up first, so neither timed run pays one-time setup; then each turn
            runs as set, then dense, on the same video, question and history, decoding as many tokens as this answer.
            Speedup = dense total ÷ this total (turn 1 includes vision and the video prefill).
          </p>
        )}
      </fieldset>

      <fieldset className="group">
        <legend>Generation</legend>
        <div className="field inline">
          <label htmlFor="set-max">Max new tokens</label>
          <CheckedInput id="set-max" value={s.maxNewTokens} check={checkMaxNewTokens} onValue={(v) => onChange({ maxNewTokens: v })} />
        </div>
        <Slider id="set-temp" label="Temperature (0 = greedy)" value={s.temperature} max={2} step={0.05} percent={false} onChange={(v) => onChange({ temperature: v })} />
        <Slider id="set-topp" label="Top-p" value={s.topP} min={0.05} max={1} step={0.01} percent={false} disabled={s.temperature === 0} onChange={(v) => onChange({ topP: v })} />
      </fieldset>

      <fieldset className="group">
        <legend>Memory for the next question</legend>
        {estimate ? (
          <div className={estimate.fits ? 'estimate' : 'estimate bad'} role="status">
            <MemBar e={estimate} />
            <p>{estimate.message}</p>
          </div>
        ) : (
          <p className="hint">Shown once a conversation is open.</p>
        )}
      </fieldset>

      <details className="group advanced">
        <summary>Advanced</summary>
        <div className="field">
          <label htmlFor="set-ffmpeg">ffmpeg binary (empty = automatic)</label>
          <input
            id="set-ffmpeg"
            className="input"
            placeholder="/usr/bin/ffmpeg"
            value={s.ffmpegPath ?? ''}
            spellCheck={false}
            onChange={(e) => onChange({ ffmpegPath: e.target.value.trim() || null })}
          />
        </div>
        <LogsFolderButton />
      </details>
    </div>
  );
}

function Slider(props: {
  id: string;
  label: string;
  value: number;
  min?: number;
  max?: number;
  step?: number;
  percent?: boolean;
  disabled?: boolean;
  onChange(v: number): void;
}) {
  const { min = 0, max = 0.99, step = 0.01, percent = true } = props;
  return (
    <div className={props.disabled ? 'field slider disabled' : 'field slider'}>
      <label htmlFor={props.id}>
        {props.label}
        <output htmlFor={props.id}>{percent ? `${Math.round(props.value * 100)}%` : props.value.toFixed(2)}</output>
      </label>
      <input
        id={props.id}
        type="range"
        min={min}
        max={max}
        step={step}
        value={props.value}
        disabled={props.disabled}
        onChange={(e) => props.onChange(Number(e.target.value))}
      />
    </div>
  );
}

export function MemBar({ e }: { e: MemoryEstimate }) {
  // Loaded weights are no longer in the free memory measured: the bar then shows what is still needed of what is free.
  const weights = e.weightsLoaded ? 0 : e.weightsBytes;
  const total = Math.max(e.availableBytes, weights + e.kvBytes + e.activationBytes, 1);
  const w = (b: number) => `${(b / total) * 100}%`;
  return (
    <div>
      <div className="membar" aria-hidden="true">
        <span className="mem-w" style={{ width: w(weights) }} />
        <span className="mem-kv" style={{ width: w(e.kvBytes) }} />
        <span className="mem-act" style={{ width: w(e.activationBytes) }} />
      </div>
      <div className="mem-legend">
        <span>
          <i className="mem-w" /> weights {formatBytes(e.weightsBytes)}{e.weightsLoaded ? ' (loaded)' : ''}
        </span>
        <span>
          <i className="mem-kv" /> KV {formatBytes(e.kvBytes)}
        </span>
        <span>
          <i className="mem-act" /> activations {formatBytes(e.activationBytes)}
        </span>
        <span className="muted">of {formatBytes(e.availableBytes)}{e.weightsLoaded ? ' free' : ''}</span>
      </div>
    </div>
  );
}
