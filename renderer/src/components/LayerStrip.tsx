// Per LLM layer, how much of the question's attention the retrieved tokens hold (bar height) and how many tokens that
// layer read; a click shows that layer's tokens on the frames, a second click goes back to any layer.
import type { InspectorTurn } from '../../../electron/contract.ts';
import { formatPercent } from '../lib/format.ts';
import type { LayerView } from '../lib/tokenMap.ts';

export function LayerStrip({ turn, layer, onLayer }: { turn: InspectorTurn; layer: LayerView; onLayer(l: LayerView): void }) {
  const layers = turn.retrievedByLayer.length;
  const mass = turn.massShareByLayer;
  if (layers === 0 || !mass || mass.length !== layers) return null;
  return (
    <div className="layer-strip" role="group" aria-label="Retrieval per layer">
      <span className="layer-strip-label muted">per layer: attention mass captured</span>
      <div className="layer-bars">
        {mass.map((m, l) => {
          const n = turn.retrievedByLayer[l].length;
          const on = layer === l;
          return (
            <button
              key={l}
              className={on ? 'layer-bar on' : 'layer-bar'}
              aria-pressed={on}
              title={`layer ${l + 1} of ${layers}: ${n} token${n === 1 ? '' : 's'} read, ${formatPercent(m)} of the question's attention over kept visual tokens`}
              onClick={() => onLayer(on ? 'any' : l)}
            >
              <i style={{ height: `${Math.max(2, Math.min(1, m) * 100)}%` }} />
              <span>{l + 1}</span>
            </button>
          );
        })}
      </div>
    </div>
  );
}
