// The one typed contract between the app service and the engine process: every op with the zod schemas of its
// request, its result and the events it streams while it runs. Both sides validate at the boundary (the service
// before it sends and when results arrive, the engine process when a request arrives), so a malformed message is an
// error naming the op and the field, never a crash or a silently wrong cast.
import { z } from 'zod';
import { InspectorTurn, Settings, TurnStats } from '../../../electron/contract.ts';

const SessionId = z.string().min(1).max(200);
const SessionArgs = z.object({ sessionId: SessionId });
const OkResult = z.object({ ok: z.boolean() });

export const ProgressEvent = z.object({
  stage: z.enum(['load', 'decode', 'vision', 'prefill', 'warmup', 'dense']),
  done: z.number(),
  total: z.number(),
  etaSec: z.number().nullable(),
});
export type ProgressEvent = z.infer<typeof ProgressEvent>;

export const TokenEvent = z.object({ text: z.string() });
export type TokenEvent = z.infer<typeof TokenEvent>;

export const PrepareArgs = z.object({
  sessionId: SessionId,
  modelPath: z.string().min(1).max(4096),
  videoPath: z.string().min(1).max(4096),
  settings: Settings,
});
export type PrepareArgs = z.infer<typeof PrepareArgs>;

export const PrepareResult = z.object({
  frames: z.number().int(),
  visualTokens: z.number().int(),
  /** True when the session was already prepared for these inputs (no decode, no vision pass). */
  reused: z.boolean(),
  /** Time spent getting the sampled frames (decoding, or reading the frame cache); 0 or absent when reused. */
  framesMs: z.number().min(0).optional(),
  /** The vision tower's output for these frames was kept from an earlier preparation and used again. */
  visionReused: z.boolean().optional(),
});
export type PrepareResult = z.infer<typeof PrepareResult>;

export const AskArgs = z.object({
  sessionId: SessionId,
  turn: z.number().int().min(1),
  question: z.string(),
  /** Earlier completed turns, used when settings.history is 'text'. */
  history: z.array(z.object({ question: z.string(), answer: z.string() })),
  settings: Settings,
});
export type AskArgs = z.infer<typeof AskArgs>;

export const AskResult = z.object({
  text: z.string(),
  stopped: z.boolean(),
  stats: TurnStats,
  inspector: InspectorTurn.nullable(),
});
export type AskResult = z.infer<typeof AskResult>;

export const QuantizeArgs = z.object({
  jobId: SessionId,
  modelPath: z.string().min(1).max(4096),
  /** Must not exist yet; written beside and renamed into place when complete. */
  outPath: z.string().min(1).max(4096),
  method: z.enum(['awq', 'rtn']),
});
export type QuantizeArgs = z.infer<typeof QuantizeArgs>;

export const QuantizeStageEvent = z.object({ stage: z.enum(['calibrate', 'quantize', 'write']), done: z.number(), total: z.number() });
export type QuantizeStageEvent = z.infer<typeof QuantizeStageEvent>;

const noEvents = {};

/** Op name -> request schema, result schema, and the events (name -> payload schema) it may stream. */
export const engineOps = {
  /** Liveness check; with a delay it is also how tests hold a request in flight. */
  ping: { req: z.object({ delayMs: z.number().int().min(0).max(600_000).default(0) }), res: z.object({ pid: z.number().int() }), events: noEvents },
  prepare: { req: PrepareArgs, res: PrepareResult, events: { progress: ProgressEvent } },
  ask: { req: AskArgs, res: AskResult, events: { token: TokenEvent, progress: ProgressEvent } },
  stop: { req: SessionArgs, res: OkResult, events: noEvents },
  cancelPrepare: { req: SessionArgs, res: OkResult, events: noEvents },
  drop: { req: SessionArgs, res: OkResult, events: noEvents },
  /** A 4-bit copy of a model folder (engine/core/quantize), with progress; cancelQuantize stops it (nothing is left). */
  quantize: { req: QuantizeArgs, res: z.object({ seconds: z.number(), groupSize: z.number().int() }), events: { progress: QuantizeStageEvent } },
  cancelQuantize: { req: z.object({ jobId: SessionId }), res: OkResult, events: noEvents },
} as const;

export type EngineOpName = keyof typeof engineOps;
/** What a caller passes (defaults may be left out). */
export type EngineOpArgs<Op extends EngineOpName> = z.input<(typeof engineOps)[Op]['req']>;
/** What the engine-side handler receives, after validation and defaults. */
export type EngineOpParsedArgs<Op extends EngineOpName> = z.infer<(typeof engineOps)[Op]['req']>;
export type EngineOpResult<Op extends EngineOpName> = z.infer<(typeof engineOps)[Op]['res']>;
type EventsOf<Op extends EngineOpName> = (typeof engineOps)[Op]['events'];
export type EngineOpEventName<Op extends EngineOpName> = keyof EventsOf<Op> & string;
/** One streamed event of an op, as a tagged union: { event: 'token', data: { text } } | ... */
export type EngineOpEvent<Op extends EngineOpName> = {
  [E in EngineOpEventName<Op>]: { event: E; data: EventsOf<Op>[E] extends z.ZodType ? z.infer<EventsOf<Op>[E]> : never };
}[EngineOpEventName<Op>];

export function isEngineOpName(op: unknown): op is EngineOpName {
  return typeof op === 'string' && Object.prototype.hasOwnProperty.call(engineOps, op);
}

/** The op's schema for one of its events, or undefined when the op does not stream that event. */
export function eventSchema(op: EngineOpName, event: string): z.ZodType | undefined {
  const events: Record<string, z.ZodType> = engineOps[op].events;
  return Object.prototype.hasOwnProperty.call(events, event) ? events[event] : undefined;
}

/** The first problem zod found, as "field.path: message" (or just the message for the top level). */
export function describeZodError(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return 'invalid value';
  return first.path.length ? `${first.path.join('.')}: ${first.message}` : first.message;
}
