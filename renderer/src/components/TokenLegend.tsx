// The colour key for one turn's token overlay, in the words its policy makes true (under dense every kept token is
// read; under sparsevila only the retrieved ones are).
import type { InspectorTurn } from '../../../electron/contract.ts';
import { cellPaint, swatchStyle } from '../lib/overlay.ts';
import { classLabels, PRUNED, READ_ALL, RETAINED, RETRIEVED, type LayerView, type TokenClass } from '../lib/tokenMap.ts';

/** Each class as the overlay paints it (a lone token of that class, read at every layer). */
const SWATCH = (c: TokenClass) => swatchStyle(cellPaint({ cls: Uint8Array.of(c), depth: null, layers: 0 }, 0));

export function TokenLegend({ turn, layer }: { turn: InspectorTurn; layer: LayerView }) {
  const labels = classLabels(turn);
  const layers = turn.retrievedByLayer.length;
  const classes = ([PRUNED, RETAINED, RETRIEVED, READ_ALL] as const).filter((c) => labels[c] !== null);
  return (
    <div className="legend" aria-label={`Legend for turn ${turn.turn}`}>
      {classes.map((c) => (
        <span key={c} data-cls={c}>
          <i className="sw" style={SWATCH(c)} /> {labels[c]}
          {c === RETRIEVED && layers > 1 && layer === 'any' && <span className="muted"> (any layer; brighter outline = more layers)</span>}
          {c === RETRIEVED && layer !== 'any' && <span className="muted"> (at layer {Math.min(layer, layers - 1) + 1} of {layers})</span>}
        </span>
      ))}
    </div>
  );
}
