// Inspector rows of models whose tokens each cover several consecutive frames (Qwen-VL: a temporal patch of 2): which
// sampled frames a token grid stands for, how it is labelled, and which frame's thumbnail it is drawn on.
import type { InspectorTurn } from '../../../electron/contract.ts';
import { clockLabels } from './format.ts';

export interface TokenGroup {
  /** Sampled frame numbers (0-based) the group's tokens cover. */
  frames: number[];
  /** "Frames 3–4" or "Frame 3". */
  name: string;
  /** "0:01.0–0:01.5" (the frames' times), or the group's own time label. */
  timeLabel: string;
  /** Time of the frame the overlay is drawn on (the group's first). */
  thumbTimeSec: number;
}

/** One entry per token grid (InspectorTurn.frames): a single frame each, or a temporal group of frames. */
export function tokenGroups(data: InspectorTurn): TokenGroup[] {
  const k = data.framesPerGroup ?? 1;
  const sampled = data.sampledFrameTimes;
  const groupLabels = clockLabels(data.frameTimes);
  if (k === 1 || !sampled) {
    return data.frameTimes.map((t, f) => ({ frames: [f], name: `Frame ${f + 1}`, timeLabel: groupLabels[f] ?? '', thumbTimeSec: t }));
  }
  const frameLabels = clockLabels(sampled);
  return data.frameTimes.map((t, g) => {
    const frames = Array.from({ length: k }, (_, i) => g * k + i).filter((i) => i < sampled.length);
    const first = frames[0], last = frames[frames.length - 1];
    if (first === undefined) return { frames: [], name: `Group ${g + 1}`, timeLabel: groupLabels[g] ?? '', thumbTimeSec: t };
    return {
      frames,
      name: frames.length > 1 ? `Frames ${first + 1}–${last + 1}` : `Frame ${first + 1}`,
      timeLabel: frames.length > 1 ? `${frameLabels[first]}–${frameLabels[last]}` : frameLabels[first],
      thumbTimeSec: sampled[first],
    };
  });
}
