// What the model manager shows for a "Make a 4-bit copy" job: one line of text and the bar's share (calibration is
// the first 20 %, the layers up to 90 %, copying the rest of the tensors the last 10 %).
import type { QuantizeProgress } from '../state/types.ts';

const SPAN: Record<QuantizeProgress['stage'], [number, number]> = {
  starting: [0, 0], calibrate: [0, 0.2], quantize: [0.2, 0.9], write: [0.9, 1],
};

export function quantizeView(p: QuantizeProgress): { text: string; share: number; running: boolean } {
  const [a, b] = SPAN[p.stage];
  const share = p.state === 'done' ? 1 : a + (b - a) * (p.total > 0 ? p.done / p.total : 0);
  const count = p.total > 0 ? ` ${p.done}/${p.total}` : '';
  const text = p.state === 'done' ? `Done: “${p.model?.name ?? 'the 4-bit copy'}” is in the list`
    : p.state === 'cancelled' ? 'Cancelled (nothing was kept)'
      : p.state === 'error' ? `Failed: ${p.error ?? 'unknown error'} (nothing was kept)`
        : p.stage === 'starting' ? 'Starting…'
          : p.stage === 'calibrate' ? `Calibrating on sample frames: prompt${count}`
            : p.stage === 'quantize' ? `Quantizing (${p.method.toUpperCase()}): layer${count}`
              : `Copying the other tensors${count}`;
  return { text, share, running: p.state === 'running' };
}
