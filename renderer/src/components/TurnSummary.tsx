// Counts and timings of one turn: where the visual tokens went, and where the time went.
import type { TurnStats } from '../../../electron/contract.ts';
import { countOf, formatBytes, formatCount, formatMs, formatPercent, formatSpeedup } from '../lib/format.ts';
import { firstTokenText } from '../lib/ttft.ts';

const PHASES = [
  ['visionMs', 'vision', 'ph-vision'],
  ['prefillMs', 'prefill', 'ph-prefill'],
  ['retrievalMs', 'retrieval', 'ph-retrieval'],
  ['decodeMs', 'decode', 'ph-decode'],
] as const;

/** `readAnyLayer`: visual tokens read at one layer or more this turn (what the frames' badges add up to at "any layer"). */
export function TurnSummary({ s, scaleMs, readAnyLayer = null }: { s: TurnStats; scaleMs: number; readAnyLayer?: number | null }) {
  const retrieves = s.policy === 'sparsevila';
  const t = s.timings;
  const first = firstTokenText(s);
  const sum = PHASES.reduce((a, [k]) => a + t[k], 0);
  const scale = Math.max(scaleMs, sum, 1);
  const retainedShare = s.visualTokensTotal ? s.visualTokensRetained / s.visualTokensTotal : 0;
  const retrievedShare = s.visualTokensRetained ? s.visualTokensRetrieved / s.visualTokensRetained : 0;
  return (
    <div className="turn-summary">
      <div className="counts">
        <Count label="visual tokens" value={formatCount(s.visualTokensTotal)} title="Visual tokens the sampled frames make (after the 2x pooling)" />
        <Count
          label={s.policy === 'query-prune' ? 'kept after query pruning' : 'kept after prefill'}
          value={formatCount(s.visualTokensRetained)}
          sub={formatPercent(retainedShare)}
          cls="c-ret"
          title={s.policy === 'query-prune'
            ? 'In the KV cache this turn: turn 1\'s question chose these and the rest were deleted for good (after prefill pruning by vision saliency)'
            : 'In the KV cache this turn: the rest were pruned before the language model by vision saliency'}
        />
        {retrieves ? (
          <Count
            label="retrieved per layer (mean)"
            value={formatCount(s.visualTokensRetrieved)}
            sub={`${formatPercent(retrievedShare)} of kept${readAnyLayer !== null ? ` · ${formatCount(readAnyLayer)} at any layer` : ''}`}
            cls="c-rtv"
            title="Each layer reads its own top tokens: the mean over layers of how many it read, and how many were read by at least one layer (what the frames' badges add up to)"
          />
        ) : (
          <Count label="read by decode" value="all kept" cls="c-rtv" title={`${s.policy} has no decode retrieval: every kept visual token is read at every layer`} />
        )}
        <Count label="KV cache" value={formatBytes(s.kvBytes)} title="Size of the key/value cache after this turn" />
        {s.retrievedMassShare !== null && (
          <Count
            label="attention mass captured"
            value={formatPercent(s.retrievedMassShare)}
            title="Of the attention the question gave all kept visual tokens, the share the retrieved ones hold (mean over layers)"
          />
        )}
        {s.speedupVsDense !== null && (
          <Count
            label={formatSpeedup(s.speedupVsDense).slower ? 'vs dense: slower (below 1×)' : 'speedup vs dense'}
            value={`${s.speedupVsDense.toFixed(2)}×`}
            cls={formatSpeedup(s.speedupVsDense).slower ? 'c-slow' : 'c-speed'}
            title={DENSE_HOW}
          />
        )}
      </div>
      <div className="phases" aria-label="Time per phase">
        <div className="phase-bar">
          {PHASES.map(([k, , cls]) => (
            <span key={k} className={cls} style={{ width: `${(t[k] / scale) * 100}%` }} title={`${k.replace('Ms', '')}: ${formatMs(t[k])}`} />
          ))}
        </div>
        {s.denseTimings && (
          <div className="phase-bar dense" title="Dense run of the same turn">
            {PHASES.map(([k, , cls]) => (
              <span key={k} className={cls} style={{ width: `${(s.denseTimings![k] / scale) * 100}%` }} />
            ))}
          </div>
        )}
        <div className="phase-legend">
          {PHASES.map(([k, label, cls]) => (
            <span key={k}>
              <i className={cls} /> {label} {formatMs(t[k])}
            </span>
          ))}
          <span className="muted">
            first token {first.after} · {t.tokensPerSec.toFixed(1)} tok/s · {countOf(s.tokens, 'token')}
          </span>
          {first.parts && <span className="muted" title={first.title}>({first.parts})</span>}
          {t.visionMs > 0 && (
            <span className="muted" title="The first question after the video was (re)prepared (new conversation, changed settings or policy, or a re-ask under another policy) pays for encoding the frames and prefilling them; later questions reuse that cache.">
              includes encoding the video and its prefill (first question on this preparation)
            </span>
          )}
          {!s.denseTimings && s.policy !== 'dense' && (
            <span className="muted">no dense run to compare: tick “Also run dense each turn” in Settings for the speedup</span>
          )}
          {s.denseTimings && (
            <span className="muted">
              total: this turn {formatMs(t.totalMs)} (upper bar) vs dense {formatMs(s.denseTimings.totalMs)} (lower bar)
            </span>
          )}
        </div>
      </div>
    </div>
  );
}

const DENSE_HOW = 'Dense total ÷ this total for the same turn (same question, history and answer length), both measured '
  + 'after a warm-up run of each policy (turn 1 includes vision and the video prefill)';

function Count({ label, value, sub, cls, title }: { label: string; value: string; sub?: string; cls?: string; title?: string }) {
  return (
    <div className="count" title={title}>
      <div className={`count-v ${cls ?? ''}`}>{value}</div>
      <div className="count-l">
        {label}
        {sub && <span className="muted"> · {sub}</span>}
      </div>
    </div>
  );
}
