// One line of per-message numbers: latency, throughput, how many visual tokens were kept and read, KV size, speedup.
import type { TurnStats } from '../../../electron/contract.ts';
import { countOf, formatBytes, formatCount, formatMs, formatSpeedup } from '../lib/format.ts';
import { firstTokenText } from '../lib/ttft.ts';

export function StatsLine({ stats }: { stats: TurnStats }) {
  const t = stats.timings;
  const first = firstTokenText(stats);
  return (
    <dl className="stats-line" aria-label="Answer statistics">
      <Stat k="policy" v={stats.policy} title="Policy used for this turn" />
      <Stat k="first token" v={first.after} title={first.title} />
      <Stat k="speed" v={`${t.tokensPerSec.toFixed(1)} tok/s`} title={`${countOf(stats.tokens, 'token')} decoded in ${formatMs(t.decodeMs)}`} />
      <Stat
        k="visual"
        v={`${formatCount(stats.visualTokensRetained)}/${formatCount(stats.visualTokensTotal)} kept`}
        title="Visual tokens kept after prefill pruning / total"
      />
      {stats.policy === 'sparsevila' && (
        <Stat k="read" v={`${formatCount(stats.visualTokensRetrieved)} retrieved`} title="Visual tokens decode attended to (mean over layers; each layer picks its own)" />
      )}
      {(stats.policy === 'prefill-only' || stats.policy === 'query-prune') && (
        <Stat k="read" v="all kept" title={`${stats.policy} has no decode retrieval: decode reads every kept visual token`} />
      )}
      <Stat k="KV" v={formatBytes(stats.kvBytes)} title="KV cache size after this turn" />
      {!!stats.missingFrames && (
        <Stat
          k="cut off"
          v={`${countOf(stats.missingFrames, 'frame')} missing`}
          title="The video file is cut off: these sampled frames could not be decoded and the last decoded frame stood in for them"
          warn
        />
      )}
      {stats.speedupVsDense !== null && (
        <Stat
          k="vs dense"
          v={formatSpeedup(stats.speedupVsDense).text}
          title="End-to-end speedup over a dense run of the same turn (both warmed up first; turn 1 includes vision and the video prefill). Below 1× this turn was slower than dense: on a tiny model or few frames the sparse bookkeeping costs more than it saves."
          strong={!formatSpeedup(stats.speedupVsDense).slower}
          warn={formatSpeedup(stats.speedupVsDense).slower}
        />
      )}
    </dl>
  );
}

function Stat({ k, v, title, strong, warn }: { k: string; v: string; title: string; strong?: boolean; warn?: boolean }) {
  return (
    <div className={`stat${strong ? ' strong' : ''}${warn ? ' warn' : ''}`} title={title}>
      <dt>{k}</dt>
      <dd>{v}</dd>
    </div>
  );
}
