// The colour key for one turn's token overlay, in the words its policy makes true (under dense every kept token is
// read; under sparsevila only the retrieved ones are).
import type { InspectorTurn } from '../../../electron/contract.ts';
import { COLORS, rgba } from '../lib/overlay.ts';
import { classLabels, PRUNED, READ_ALL, RETAINED, RETRIEVED, type LayerView, type TokenClass } from '../lib/tokenMap.ts';

const SWATCH: Record<TokenClass, string> = {
  [PRUNED]: rgba(COLORS.pruned),
  [RETAINED]: rgba([COLORS.retained[0], COLORS.retained[1], COLORS.retained[2], 150]),
  [RETRIEVED]: rgba(COLORS.retrieved),
  [READ_ALL]: rgba([COLORS.readAll[0], COLORS.readAll[1], COLORS.readAll[2], 130]),
};

export function TokenLegend({ turn, layer }: { turn: InspectorTurn; layer: LayerView }) {
  const labels = classLabels(turn);
  const layers = turn.retrievedByLayer.length;
  const classes = ([PRUNED, RETAINED, RETRIEVED, READ_ALL] as const).filter((c) => labels[c] !== null);
  return (
    <div className="legend" aria-label={`Legend for turn ${turn.turn}`}>
      {classes.map((c) => (
        <span key={c} data-cls={c}>
          <i className="sw" style={{ background: SWATCH[c], outline: c === PRUNED ? '1px solid #3a4152' : undefined }} /> {labels[c]}
          {c === RETRIEVED && layers > 1 && layer === 'any' && <span className="muted"> (any layer; brighter = more layers)</span>}
          {c === RETRIEVED && layer !== 'any' && <span className="muted"> (at layer {Math.min(layer, layers - 1) + 1} of {layers})</span>}
        </span>
      ))}
    </div>
  );
}
