// TTFT as the user waited it: from the service receiving chat.ask (the user's Enter) to the first answer token
// arriving from the engine, split into the parts the engine measured and the rest ("other": queueing behind other
// conversations, waiting for the engine process, loading the model, messaging), so the parts add up to the total.
import type { Timings, TtftParts } from '../../electron/contract.ts';

export function ttftFromAsk(totalMs: number, framesMs: number, engine: Timings, visionReused: boolean): { ttftFromAskMs: number; ttftParts: TtftParts } {
  const prefixPrefillMs = engine.prefixPrefillMs ?? 0;
  const questionPrefillMs = Math.max(0, engine.prefillMs - prefixPrefillMs);
  // The engine's ttft = vision + prefix prefill + the question's prefill with its retrieval scoring + the first token's
  // pick; prefillMs leaves the scoring out, so what remains of the engine's ttft is the retrieval part.
  const retrievalMs = Math.max(0, engine.ttftMs - engine.visionMs - prefixPrefillMs - questionPrefillMs);
  const measured = framesMs + engine.visionMs + prefixPrefillMs + questionPrefillMs + retrievalMs;
  return {
    ttftFromAskMs: totalMs,
    ttftParts: { framesMs, visionMs: engine.visionMs, prefixPrefillMs, questionPrefillMs, retrievalMs, otherMs: totalMs - measured,
      ...(visionReused ? { visionReused } : {}) },
  };
}
