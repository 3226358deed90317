// The one typed contract between the renderer and whoever serves it: Electron's main process (through the
// preload's contextBridge) or serve mode (HTTP + WebSocket on 127.0.0.1). Every call and event is listed here with a
// zod schema; payloads are validated at the boundary on the serving side (never trust the renderer, never trust the
// network) and results are typed on the calling side.
import { z } from 'zod';
import { DEFAULT_RETRIEVAL, RETRIEVAL_MODES, retrievalWithParam, type RetrievalMode } from '../engine/core/sparse/retrieval-settings.ts';
import { SETTINGS_LIMITS } from './settings-limits.ts';

// ---------------------------------------------------------------------------------------------------------------
// Shared value types

export const PolicyName = z.enum(['dense', 'prefill-only', 'query-prune', 'sparsevila']);
export type PolicyName = z.infer<typeof PolicyName>;

export const HistoryMode = z.enum(['none', 'text']);
export type HistoryMode = z.infer<typeof HistoryMode>;

/** sparsevila's decode retrieval: the mode and its one parameter (top-p: attention mass; refresh: generated tokens
 *  between re-retrievals; pages: tokens per page; fastv: the pruning layer), null for the mode's default or none;
 *  checked by the engine's own rules (retrievalWithParam), integers capped so a hostile value cannot stall a turn. */
export const RetrievalChoice = z.object({
  mode: z.enum(RETRIEVAL_MODES as [RetrievalMode, ...RetrievalMode[]]),
  value: z.number().min(0).max(SETTINGS_LIMITS.retrievalParam.max).nullable(),
}).superRefine((r, ctx) => {
  try {
    retrievalWithParam(r.mode, r.value);
  } catch (e) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (e as Error).message, path: ['value'] });
  }
});
export type RetrievalChoice = z.infer<typeof RetrievalChoice>;

export const Settings = z.object({
  backend: z.enum(['auto', 'cuda', 'cpu']),
  frames: z.number().int().min(SETTINGS_LIMITS.frames.min).max(SETTINGS_LIMITS.frames.max),
  policy: PolicyName,
  prefillSparsity: z.number().min(0).max(0.99),
  decodeSparsity: z.number().min(0).max(0.99),
  perFrameFloor: z.number().int().min(0).max(4096),
  /** Default keeps settings saved before it existed valid. */
  retrieval: RetrievalChoice.default({ mode: DEFAULT_RETRIEVAL.mode, value: null }),
  history: HistoryMode,
  maxNewTokens: z.number().int().min(SETTINGS_LIMITS.maxNewTokens.min).max(SETTINGS_LIMITS.maxNewTokens.max),
  temperature: z.number().min(0).max(5),
  topP: z.number().gt(0).max(1),
  modelId: z.string().max(4096).nullable(),
  ffmpegPath: z.string().max(4096).nullable(),
  /** Also run a dense pass per turn to report the speedup (costs time). */
  measureDense: z.boolean(),
  /**
   * Models whose processor picks the frames and their size (Qwen2.5-VL, Qwen3-VL; `frames` is not used for them): the
   * sampling rate, the most frames, and the pixel budget (per frame for Qwen2.5-VL, for the whole video for Qwen3-VL).
   * null: the model's own setting. Defaults keep settings saved before these existed valid.
   */
  sampleFps: z.number().min(SETTINGS_LIMITS.sampleFps.min).max(SETTINGS_LIMITS.sampleFps.max).nullable().default(null),
  maxFrames: z.number().int().min(SETTINGS_LIMITS.maxFrames.min).max(SETTINGS_LIMITS.maxFrames.max).nullable().default(null),
  maxPixels: z.number().int().min(SETTINGS_LIMITS.maxPixels.min).max(SETTINGS_LIMITS.maxPixels.max).nullable().default(null),
  /** The vision tower's linears: 16-bit, or 8-bit (W8A8, LLaVA-OneVision on the CPU backend; engine/core/models/siglip-w8.ts). */
  visionPrecision: z.enum(['16bit', '8bit']).default('16bit'),
});
export type Settings = z.infer<typeof Settings>;

export const DEFAULT_SETTINGS: Settings = {
  backend: 'auto',
  frames: 32,
  policy: 'sparsevila',
  prefillSparsity: 0.75,
  decodeSparsity: 0.9,
  perFrameFloor: 0,
  retrieval: { mode: DEFAULT_RETRIEVAL.mode, value: null },
  // Follow-up questions see the earlier questions and answers, as in any chat; 'none' is the paper's protocol.
  history: 'text',
  maxNewTokens: 256,
  temperature: 0,
  topP: 1,
  modelId: null,
  ffmpegPath: null,
  measureDense: false,
  sampleFps: null,
  maxFrames: null,
  maxPixels: null,
  visionPrecision: '16bit',
};

export const VideoInfo = z.object({
  id: z.string(),
  path: z.string(),
  name: z.string(),
  durationSec: z.number(),
  width: z.number().int(),
  height: z.number().int(),
  fps: z.number(),
  codec: z.string(),
  rotation: z.number(),
  hasAudio: z.boolean(),
  sizeBytes: z.number(),
  addedAt: z.number(),
  lastOpenedAt: z.number(),
  /** URL of a poster thumbnail (served by main / serve mode), or null before one exists. */
  posterUrl: z.string().nullable(),
  /** URL the player streams the file from (HTTP Range support; carries whatever auth serve mode needs). */
  mediaUrl: z.string(),
  lastConversationId: z.string().nullable(),
  /** Sampled frames the file could not supply when its frames were last sampled (a cut-off file); absent before. */
  missingFrames: z.number().int().optional(),
  /** Frames in the stream (what rate sampling counts from); absent in entries saved before it was recorded. */
  frameCount: z.number().int().optional(),
});
export type VideoInfo = z.infer<typeof VideoInfo>;

export const SampledFrame = z.object({
  index: z.number().int(),
  timeSec: z.number(),
  thumbUrl: z.string(),
  /** The file is cut off before this frame: the model (and the thumbnail) see the last frame that decoded instead. */
  missing: z.boolean().optional(),
});
export type SampledFrame = z.infer<typeof SampledFrame>;

export const ModelInfo = z.object({
  id: z.string(),
  name: z.string(),
  path: z.string(),
  architecture: z.string(),
  /** 'embedded' = the small model shipped with the app; 'local' = a folder the user picked; 'downloaded'. */
  source: z.enum(['embedded', 'local', 'downloaded']),
  parameters: z.number(),
  dtype: z.string(),
  /** From config.json: 4-bit when it has an AWQ quantization_config (the language model's linears), else its dtype. */
  precision: z.enum(['f32', 'bf16', 'f16', '4-bit']),
  /** Weight values by storage: 16/32-bit ones, 4-bit ones, and the 4-bit layers' (group, column) scale/zero pairs. */
  weightCounts: z.object({ dense: z.number(), q4: z.number(), q4Groups: z.number() }),
  /** The folder's files on disk. */
  diskBytes: z.number(),
  /** The weights in GPU memory (16-bit values, 4-bit ones packed with their scales and zeros). */
  gpuBytes: z.number(),
  /** 0 for models that sample by rate (their tokens per frame depend on the video: see `video`). */
  tokensPerFrame: z.number().int(),
  description: z.string(),
  /** Models whose processor samples by rate and sizes frames by a pixel budget (Qwen-VL): its own settings. */
  video: z.object({
    family: z.enum(['qwen2.5-vl', 'qwen3-vl']),
    fps: z.number(),
    minFrames: z.number().int(),
    maxFrames: z.number().int(),
    minPixels: z.number().int(),
    maxPixels: z.number().int(),
    /** The budget bounds each frame (Qwen2.5-VL) or the whole sampled video (Qwen3-VL). */
    budget: z.enum(['frame', 'video']),
    patchSize: z.number().int(),
    mergeSize: z.number().int(),
    temporalPatchSize: z.number().int(),
  }).optional(),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

export const Timings = z.object({
  visionMs: z.number(),
  prefillMs: z.number(),
  retrievalMs: z.number(),
  decodeMs: z.number(),
  /** From the question to the first answer token; turn 1 includes vision encoding and the prefix prefill. */
  ttftMs: z.number(),
  totalMs: z.number(),
  tokensPerSec: z.number(),
  /** The part of prefillMs spent on the retained video prefix (the first question on a preparation; 0 later). */
  prefixPrefillMs: z.number().optional(),
});
export type Timings = z.infer<typeof Timings>;

/** Where the wait from the user's Enter to the first answer token went; the parts add up to ttftFromAskMs. */
export const TtftParts = z.object({
  /** Getting the sampled frames: decoding the video, or reading them from the frame cache (0 on a prepared session). */
  framesMs: z.number(),
  visionMs: z.number(),
  prefixPrefillMs: z.number(),
  questionPrefillMs: z.number(),
  /** Retrieval scoring inside the question prefill (and picking the first token). */
  retrievalMs: z.number(),
  /** The rest: waiting for other conversations' answers, for the engine process, loading the model, messaging. */
  otherMs: z.number(),
  /** The vision tower's output for these frames was kept from an earlier conversation or re-ask (visionMs ~0). */
  visionReused: z.boolean().optional(),
});
export type TtftParts = z.infer<typeof TtftParts>;

/** Per-turn statistics (also the `--json` output of `sparsevila chat`, in snake_case there). */
export const TurnStats = z.object({
  turn: z.number().int(),
  policy: PolicyName,
  tokens: z.number().int(),
  visualTokensTotal: z.number().int(),
  visualTokensRetained: z.number().int(),
  /** Mean over layers of the visual tokens decode attended to this turn. */
  visualTokensRetrieved: z.number(),
  kvBytes: z.number(),
  /** Share of dense attention mass (over retained visual tokens) that the retrieved set captured, mean over layers. */
  retrievedMassShare: z.number().nullable(),
  timings: Timings,
  /** Dense run of the same turn, when measured. */
  denseTimings: Timings.nullable(),
  speedupVsDense: z.number().nullable(),
  /** Sampled frames the video file could not supply (cut off); the last decoded frame stood in for them. */
  missingFrames: z.number().int().optional(),
  /** From the user's Enter (the service receiving chat.ask) to the first answer token; absent when none came. */
  ttftFromAskMs: z.number().optional(),
  ttftParts: TtftParts.optional(),
});
export type TurnStats = z.infer<typeof TurnStats>;

/** What the inspector draws for one turn. Visual token v is (frame, row, col) in the pooled grid, row-major. */
export const InspectorTurn = z.object({
  turn: z.number().int(),
  frames: z.number().int(),
  gridH: z.number().int(),
  gridW: z.number().int(),
  frameTimes: z.array(z.number()),
  /** Token saliency [frames*gridH*gridW] (prefill scores), or null under dense. */
  saliency: z.array(z.number()).nullable(),
  /** Retained visual token indices (ascending). */
  retained: z.array(z.number().int()),
  /** Per LLM layer: retrieved visual token indices this turn (subset of retained). Empty lists under dense. */
  retrievedByLayer: z.array(z.array(z.number().int())),
  /** Per LLM layer: share of the question's attention over retained visual tokens that the retrieved set holds. */
  massShareByLayer: z.array(z.number()).nullable().optional(),
  /** Retrieval that changes during the answer ('refresh', 'pages'): per change, the first generated token it served
   *  and, per frame, the visual tokens read (mean over layers). Absent or null when one set served the whole answer. */
  retrievalTimeline: z.array(z.object({ fromToken: z.number().int(), readPerFrame: z.array(z.number()) })).nullable().optional(),
  /**
   * Models that merge consecutive frames into one token grid (Qwen-VL's temporal patch: 2 frames): each of `frames` is
   * then such a group (gridH x gridW is the merged grid), `frameTimes` the groups' times, and `sampledFrameTimes` every
   * sampled frame's own time (group g holds frames g * framesPerGroup ...; a last group short of frames repeats its last).
   */
  framesPerGroup: z.number().int().min(1).optional(),
  sampledFrameTimes: z.array(z.number()).optional(),
  stats: TurnStats,
});
export type InspectorTurn = z.infer<typeof InspectorTurn>;

export const ChatMessage = z.object({
  id: z.string(),
  role: z.enum(['user', 'assistant']),
  text: z.string(),
  createdAt: z.number(),
  /** Assistant messages: done, stopped by the user, or failed (with error). */
  status: z.enum(['streaming', 'done', 'stopped', 'error']).optional(),
  error: z.string().optional(),
  stats: TurnStats.optional(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

export const Conversation = z.object({
  id: z.string(),
  videoId: z.string(),
  title: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  settings: Settings,
  messages: z.array(ChatMessage),
  /** The messages the last edit or regenerate replaced (from index `at`), kept so it can be undone. */
  replaced: z.object({ at: z.number().int().min(0), messages: z.array(ChatMessage) }).optional(),
});
export type Conversation = z.infer<typeof Conversation>;

export const EngineStatus = z.object({
  state: z.enum(['starting', 'ready', 'busy', 'crashed', 'restarting']),
  backend: z.enum(['cpu', 'cuda']),
  gpuName: z.string().nullable(),
  gpuMemoryBytes: z.number().nullable(),
  message: z.string().nullable(),
  restarts: z.number().int(),
});
export type EngineStatus = z.infer<typeof EngineStatus>;

export const MemoryEstimate = z.object({
  weightsBytes: z.number(),
  kvBytes: z.number(),
  activationBytes: z.number(),
  availableBytes: z.number(),
  fits: z.boolean(),
  message: z.string(),
  /** The engine already holds the weights in the memory counted here (CPU): only KV and activations are still needed. */
  weightsLoaded: z.boolean().optional(),
  /** The prompt's video tokens and how many the KV cache keeps after prefill pruning, counted as the engine counts. */
  visualTokens: z.object({ total: z.number().int(), kept: z.number().int() }).optional(),
  /** Rate-sampling models (Qwen-VL): the frames and frame size the processor picks for this video, its temporal patches
   *  (two frames each) and the tokens of each. */
  sampling: z.object({
    frames: z.number().int(), width: z.number().int(), height: z.number().int(), temporalPatches: z.number().int(), tokensPerPatch: z.number().int(),
  }).optional(),
});
export type MemoryEstimate = z.infer<typeof MemoryEstimate>;

const Id = z.string().min(1).max(200).regex(/^[A-Za-z0-9._:-]+$/);
/** A "Make a 4-bit copy" job's progress: calibration prompts, then layers, then the other tensors copied. */
export const QuantizeProgress = z.object({
  jobId: Id,
  /** The 16-bit model being copied. */
  modelId: Id,
  method: z.enum(['awq', 'rtn']),
  stage: z.enum(['starting', 'calibrate', 'quantize', 'write']),
  done: z.number(),
  total: z.number(),
  state: z.enum(['running', 'done', 'error', 'cancelled']),
  error: z.string().optional(),
  /** The new model, listed, when state is 'done'. */
  model: ModelInfo.optional(),
});
export type QuantizeProgress = z.infer<typeof QuantizeProgress>;

const FilePath = z.string().min(1).max(4096).refine((p) => !p.includes('\0'), 'path contains a NUL byte');

// ---------------------------------------------------------------------------------------------------------------
// Calls: name -> request schema and response schema.

export const calls = {
  'app.info': {
    req: z.object({}),
    res: z.object({ version: z.string(), platform: z.string(), serveMode: z.boolean(), engine: EngineStatus }),
  },
  'settings.get': { req: z.object({}), res: Settings },
  'settings.set': { req: Settings.partial(), res: Settings },
  'models.list': { req: z.object({}), res: z.array(ModelInfo) },
  'models.addLocal': { req: z.object({ path: FilePath }), res: ModelInfo },
  'models.remove': { req: z.object({ id: Id }), res: z.object({ ok: z.boolean() }) },
  'models.catalog': {
    req: z.object({}),
    res: z.array(z.object({
      repo: z.string(), name: z.string(), sizeBytes: z.number(), description: z.string(),
      /** Parameter count (unquantized), where the catalog computes it from the repo's config. */
      parameters: z.number().optional(),
      family: z.enum(['qwen2.5-vl', 'qwen3-vl']).optional(),
    })),
  },
  'models.download': { req: z.object({ repo: z.string().min(3).max(200).regex(/^[\w.-]+\/[\w.-]+$/) }), res: z.object({ downloadId: Id }) },
  'models.cancelDownload': { req: z.object({ downloadId: Id }), res: z.object({ ok: z.boolean() }) },
  /** Starts a 4-bit copy of a model (in the engine process); progress and the result arrive as models.quantizeProgress. */
  'models.quantize': { req: z.object({ id: Id, method: z.enum(['awq', 'rtn']).default('awq') }), res: z.object({ jobId: Id }) },
  'models.cancelQuantize': { req: z.object({ jobId: Id }), res: z.object({ ok: z.boolean() }) },
  'videos.pick': { req: z.object({}), res: z.object({ path: z.string().nullable() }) },
  'videos.open': { req: z.object({ path: FilePath }), res: VideoInfo },
  /** A short generated demo video of the shapes world the built-in model knows (made once in the data folder), opened. */
  'videos.demo': { req: z.object({}), res: VideoInfo },
  'videos.recent': { req: z.object({}), res: z.array(VideoInfo) },
  'videos.remove': { req: z.object({ id: Id }), res: z.object({ ok: z.boolean() }) },
  'videos.frames': {
    req: z.object({
      videoId: Id,
      frames: z.number().int().min(SETTINGS_LIMITS.frames.min).max(SETTINGS_LIMITS.frames.max),
      /** Sample as these settings would (the model, and its rate sampling for Qwen-VL), over the saved ones. */
      settings: Settings.partial().optional(),
    }),
    res: z.array(SampledFrame),
  },
  'conversations.list': { req: z.object({ videoId: Id }), res: z.array(Conversation.omit({ messages: true, replaced: true })) },
  'conversations.get': { req: z.object({ id: Id }), res: Conversation },
  'conversations.create': { req: z.object({ videoId: Id }), res: Conversation },
  'conversations.delete': { req: z.object({ id: Id }), res: z.object({ ok: z.boolean() }) },
  'chat.estimate': {
    req: z.object({
      /** Absent before the open video has a conversation: then `videoId` and the saved settings. */
      conversationId: Id.optional(),
      videoId: Id.optional(),
      /** Estimate for these settings (as the next chat.ask would send them). */
      settings: Settings.partial().optional(),
    }).refine((r) => r.conversationId !== undefined || r.videoId !== undefined, 'a conversationId or a videoId is needed'),
    res: MemoryEstimate,
  },
  /** How many tokens this question takes of the turn's room, before sending it (the composer's counter). */
  'chat.measure': {
    req: z.object({ /** Absent for a conversation not created yet (then: saved settings, no history). */ conversationId: Id.optional(), question: z.string().max(20000), settings: Settings.partial().optional() }),
    res: z.object({
      questionTokens: z.number().int(),
      /** The most a question may take; a longer one is refused without using a turn. */
      maxQuestionTokens: z.number().int(),
      /** Earlier turns the model would see with it (history 'text'), and how many older ones give way to fit. */
      historyTurns: z.number().int(),
      historyDropped: z.number().int(),
    }),
  },
  'chat.ask': {
    req: z.object({
      conversationId: Id,
      question: z.string().min(1).max(20000),
      /** Replace this user message (edit-and-resend) or regenerate the answer after it; later messages are dropped. */
      replaceFromMessageId: Id.optional(),
      /** Override the conversation's settings for this turn (compare policies side by side). */
      settings: Settings.partial().optional(),
    }),
    res: z.object({ turnId: Id, userMessageId: Id, assistantMessageId: Id }),
  },
  /** Undo the last edit or regenerate: its new question and answer go, the messages it replaced come back. */
  'chat.undoReplace': { req: z.object({ conversationId: Id }), res: Conversation },
  'chat.stop': { req: z.object({ conversationId: Id }), res: z.object({ ok: z.boolean() }) },
  'chat.cancelPrepare': { req: z.object({ conversationId: Id }), res: z.object({ ok: z.boolean() }) },
  'inspector.get': { req: z.object({ conversationId: Id, turn: z.number().int().min(1) }), res: InspectorTurn.nullable() },
  'engine.status': { req: z.object({}), res: EngineStatus },
  /** The folder of the log files (app, serve mode and engine process): opened in the file manager by the desktop
   *  app (opened: true); serve mode only returns its path (the browser cannot open local folders). */
  'app.openLogs': { req: z.object({}), res: z.object({ path: z.string(), opened: z.boolean() }) },
} as const;

export type CallName = keyof typeof calls;
export type CallReq<N extends CallName> = z.input<(typeof calls)[N]['req']>;
export type CallRes<N extends CallName> = z.infer<(typeof calls)[N]['res']>;

// ---------------------------------------------------------------------------------------------------------------
// Events: pushed from the serving side to the renderer.

export const events = {
  'chat.token': z.object({ conversationId: Id, messageId: Id, text: z.string() }),
  'chat.done': z.object({ conversationId: Id, messageId: Id, status: z.enum(['done', 'stopped', 'error']), error: z.string().optional(), stats: TurnStats.optional() }),
  /** Video decoding / encoding progress before the first answer of a conversation. */
  'chat.progress': z.object({
    conversationId: Id,
    /** load: the model is read into memory (first question, or after switching models). warmup / dense: only with
     *  settings.measureDense (both policies warmed up, then the dense comparison session). */
    stage: z.enum(['load', 'decode', 'vision', 'prefill', 'warmup', 'dense']),
    done: z.number(),
    total: z.number(),
    etaSec: z.number().nullable(),
  }),
  'models.downloadProgress': z.object({
    downloadId: Id,
    repo: z.string(),
    file: z.string(),
    receivedBytes: z.number(),
    totalBytes: z.number(),
    state: z.enum(['running', 'verifying', 'done', 'error', 'cancelled']),
    error: z.string().optional(),
  }),
  'models.quantizeProgress': QuantizeProgress,
  'engine.status': EngineStatus,
} as const;

export type EventName = keyof typeof events;
export type EventPayload<N extends EventName> = z.infer<(typeof events)[N]>;

/** The API object the renderer sees (window.sparsevila in Electron; a WebSocket client in serve mode). */
export interface SparseVilaApi {
  call<N extends CallName>(name: N, req: CallReq<N>): Promise<CallRes<N>>;
  on<N extends EventName>(name: N, listener: (payload: EventPayload<N>) => void): () => void;
  /** Electron only (preload, webUtils.getPathForFile): the local path of a dropped File; absent in serve mode. */
  pathForFile?(file: File): string | null;
}

/** Errors crossing the boundary carry a code and a human message. */
export interface ContractError {
  code: 'invalid_request' | 'unknown_call' | 'not_found' | 'engine' | 'unauthorized' | 'internal';
  message: string;
}

export function parseRequest<N extends CallName>(name: string, payload: unknown):
  | { ok: true; name: N; req: z.infer<(typeof calls)[N]['req']> }
  | { ok: false; error: ContractError } {
  if (!Object.prototype.hasOwnProperty.call(calls, name)) {
    return { ok: false, error: { code: 'unknown_call', message: `unknown call "${String(name).slice(0, 80)}"` } };
  }
  const parsed = calls[name as N].req.safeParse(payload);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first?.path.length ? first.path.join('.') + ': ' : '';
    return { ok: false, error: { code: 'invalid_request', message: `${name}: ${where}${first?.message ?? 'invalid payload'}` } };
  }
  return { ok: true, name: name as N, req: parsed.data as z.infer<(typeof calls)[N]['req']> };
}
