// Arguments and results of the engine ops that carry the chat flow (shared by the service and the engine process).
import type { InspectorTurn, Settings, TurnStats } from '../../../electron/contract.ts';

export interface PrepareArgs {
  sessionId: string;
  modelPath: string;
  videoPath: string;
  settings: Settings;
}
export interface PrepareResult {
  frames: number;
  visualTokens: number;
  /** True when the session was already prepared for these inputs (no decode, no vision pass). */
  reused: boolean;
}
export interface AskArgs {
  sessionId: string;
  turn: number;
  question: string;
  /** Earlier completed turns, used when settings.history is 'text'. */
  history: { question: string; answer: string }[];
  settings: Settings;
}
export interface AskResult {
  text: string;
  stopped: boolean;
  stats: TurnStats;
  inspector: InspectorTurn | null;
}
/** Event payloads: 'progress' while preparing, 'token' while answering. */
export interface ProgressEvent {
  stage: 'load' | 'decode' | 'vision' | 'prefill' | 'warmup' | 'dense';
  done: number;
  total: number;
  etaSec: number | null;
}
export interface TokenEvent {
  text: string;
}
