// Engine-process side of the chat flow: one ChatSession (with its SparseVILA policy) per conversation, the loaded model
// shared and kept while it is in use, and per-conversation abort controllers for 'stop' and 'cancelPrepare'.
// A session is reused across turns as long as what it was built from (model, video, frames, policy, prefill
// settings) is unchanged; otherwise it is rebuilt, which also happens after an engine restart.
import type { Settings } from '../../../electron/contract.ts';
import { loadVlm, type LoadedVlm } from '../../core/models/load-model.ts';
import { ChatSession, encodedTensors } from '../../core/session/chat-session.ts';
import { DENSE_SETTINGS, resolvePolicy, type SparseSettings } from '../../core/sparse/policy.ts';
import { retrievalWithParam } from '../../core/sparse/retrieval-settings.ts';
import { turnStats } from '../../core/sparse/stats.ts';
import { alignDenseTimings, decodeSteps, denseTokenBudget } from '../../core/sparse/dense-compare.ts';
import { warmUpPolicies } from '../../core/bench/warm-up.ts';
import { prepareVideo, type PreparedVideo } from '../../core/video/prepare-video.ts';
import { videoPreprocessFor } from '../video-preprocess.ts';
import type { AskArgs, AskResult, PrepareArgs, PrepareResult, ProgressEvent } from './engine-contract.ts';
import { contractInspectorTurn, contractTurnStats } from './turn-contract.ts';
import { VisionCache } from './vision-cache.ts';
import { StageEta } from './stage-eta.ts';

interface Entry {
  key: string;
  modelKey: string;
  video: PreparedVideo;
  session: ChatSession;
  /** With settings.measureDense: a dense session on the same video, asked the same questions, for the speedup. */
  dense: ChatSession | null;
}

export class CancelledError extends Error {
  override name = 'CancelledError';
  readonly code = 'ABORTED';
}

/** Prepared conversations kept in memory (each holds a KV cache, and with measureDense a dense twin). Older ones are
 *  dropped and rebuilt if asked again, so many open conversations cannot exhaust GPU or CPU memory. */
export const MAX_PREPARED_SESSIONS = 3;

export class ChatSessions {
  /** warmed: policies already run once on this model (see warmUpPolicies), so timed runs pay no one-time costs. */
  private model: { key: string; loaded: LoadedVlm; warmed: Set<string> } | null = null;
  private sessions = new Map<string, Entry>();
  private preparing = new Map<string, AbortController>();
  private asking = new Map<string, AbortController>();
  private vision = new VisionCache();

  async prepare(args: PrepareArgs, progress: (p: ProgressEvent) => void): Promise<PrepareResult> {
    const { sessionId, settings } = args;
    const modelKey = JSON.stringify([args.modelPath, settings.backend, settings.visionPrecision]);
    const key = JSON.stringify([modelKey, args.videoPath, settings.frames, settings.policy, settings.prefillSparsity, settings.perFrameFloor, settings.retrieval, settings.history, settings.ffmpegPath, settings.measureDense && settings.policy !== 'dense', settings.sampleFps, settings.maxFrames, settings.maxPixels]);
    const existing = this.sessions.get(sessionId);
    if (existing?.key === key) {
      // Most recently used last (Map order), for evictBeyond.
      this.sessions.delete(sessionId);
      this.sessions.set(sessionId, existing);
      return { frames: existing.video.frames, visualTokens: existing.session.visualTokens, reused: true, framesMs: 0 };
    }
    this.drop(sessionId);
    this.preparing.get(sessionId)?.abort();
    const abort = new AbortController();
    this.preparing.set(sessionId, abort);
    try {
      if (this.model?.key !== modelKey) progress({ stage: 'load', done: 0, total: 1, etaSec: null });
      const loaded = await this.loadModel(modelKey, args.modelPath, settings);
      const framesStart = performance.now();
      const video = await prepareVideo(args.videoPath, {
        sampling: { mode: 'uniform', frames: settings.frames },
        preprocess: videoPreprocessFor(args.modelPath, settings),
        ffmpegPath: settings.ffmpegPath,
        thumbnailWidth: 0,
        cacheDir: process.env.SPARSEVILA_VIDEO_CACHE || undefined,
        signal: abort.signal,
        onProgress: (p) => {
          if (p.stage === 'decode') progress({ stage: 'decode', done: p.done, total: p.total, etaSec: p.etaSec });
        },
      });
      const framesMs = performance.now() - framesStart;
      this.throwIfCancelled(abort);
      // Fixed for the session: the policy's prefill side; decode sparsity and sampling come with each question.
      const sparse: SparseSettings = {
        policy: settings.policy,
        prefillSparsity: settings.prefillSparsity,
        decodeSparsity: settings.decodeSparsity,
        perFrameFloor: settings.perFrameFloor,
        history: settings.history,
        retrieval: retrievalWithParam(settings.retrieval.mode, settings.retrieval.value),
      };
      const compareDense = settings.measureDense && settings.policy !== 'dense';
      if (compareDense && this.model) {
        // Fair speedup: both policies warm before either is timed (otherwise the sparse run pays the graph builds).
        const todo = [sparse.policy, 'dense' as const].filter((p) => !this.model!.warmed.has(p));
        const started = Date.now();
        for (const [i, p] of todo.entries()) {
          const eta = i > 0 ? ((Date.now() - started) / 1000 / i) * (todo.length - i) : null;
          progress({ stage: 'warmup', done: i, total: todo.length, etaSec: eta });
          // Each warm-up is synchronous compute: let the progress event (and a cancel) through first.
          await new Promise((resolve) => setImmediate(resolve));
          this.throwIfCancelled(abort);
          await warmUpPolicies(loaded, [{ policy: p, prefillSparsity: settings.prefillSparsity, decodeSparsity: settings.decodeSparsity }]);
          this.model.warmed.add(p);
        }
      }
      const stageEta = new StageEta();
      // Not with the dense comparison: its twin runs the vision tower, so the sparse side runs it too (a fair speedup).
      const lease = compareDense ? null : this.vision.take(modelKey, video.pixelValues, resolvePolicy(sparse).saliency);
      let session: ChatSession;
      try {
        session = await ChatSession.create(loaded, video, {
          sparse,
          signal: abort.signal,
          onProgress: (stage, done, total) => {
            progress({ stage, done, total, etaSec: stageEta.update(stage, done, total) });
          },
          encoded: lease?.encoded,
          keepEncoded: (e) => this.vision.put(modelKey, video.pixelValues, e, () => { for (const t of encodedTensors(e)) loaded.backend.dispose(t); }),
        });
      } finally {
        lease?.release();
      }
      if (abort.signal.aborted) {
        session.dispose();
        this.throwIfCancelled(abort);
      }
      let dense: Entry['dense'] = null;
      if (compareDense) {
        try {
          const started = Date.now();
          dense = await ChatSession.create(loaded, video, {
            sparse: { ...DENSE_SETTINGS, history: settings.history },
            signal: abort.signal,
            // One bar for the whole dense preparation: its frames, then its prefill as the last step.
            onProgress: (stage, done, total) => {
              const d = stage === 'vision' ? done : video.frames + (done >= total ? 1 : 0);
              const n = video.frames + 1;
              const rate = d > 0 ? (Date.now() - started) / 1000 / d : 0;
              progress({ stage: 'dense', done: Math.min(d, n), total: n, etaSec: d > 0 ? rate * (n - d) : null });
            },
          });
        } catch (err) {
          session.dispose();
          throw err;
        }
      }
      this.sessions.set(sessionId, { key, modelKey, video, session, dense });
      this.evictBeyond(MAX_PREPARED_SESSIONS, sessionId);
      return { frames: video.frames, visualTokens: session.visualTokens, reused: false, framesMs, visionReused: lease !== null };
    } catch (err) {
      if (abort.signal.aborted) throw new CancelledError('preparing the video was cancelled');
      throw err;
    } finally {
      if (this.preparing.get(sessionId) === abort) this.preparing.delete(sessionId);
    }
  }

  async ask(args: AskArgs, onToken: (text: string) => void, progress: (p: ProgressEvent) => void = () => {}): Promise<AskResult> {
    const entry = this.sessions.get(args.sessionId);
    if (!entry) {
      // The code lets the app service prepare again (chat-handlers.ts) instead of failing the turn.
      throw Object.assign(new Error('this conversation is not prepared in the engine (it may have restarted); ask again'), { code: 'NOT_PREPARED' });
    }
    if (this.asking.has(args.sessionId)) throw new Error('an answer is already being written in this conversation');
    const s = args.settings;
    // What the model sees of earlier turns comes from the app's copy (edits and regenerations replace turns).
    entry.session.history.splice(0, entry.session.history.length, ...args.history);
    const abort = new AbortController();
    this.asking.set(args.sessionId, abort);
    try {
      const r = await entry.session.ask(args.question, {
        maxNewTokens: s.maxNewTokens,
        temperature: s.temperature,
        topP: s.topP,
        decodeSparsity: s.decodeSparsity,
        signal: abort.signal,
        onToken: (delta) => onToken(delta),
      });
      const measure = r.measure;
      if (entry.dense && r.stopReason !== 'aborted') {
        // The same turn, dense, not streamed: its timings give the speedup shown with the answer.
        progress({ stage: 'dense', done: 0, total: 1, etaSec: null });
        entry.dense.history.splice(0, entry.dense.history.length, ...args.history);
        const d = await entry.dense.ask(args.question, {
          maxNewTokens: denseTokenBudget(r.tokens),
          temperature: s.temperature,
          topP: s.topP,
          signal: abort.signal,
        });
        const denseMeasure = d.measure;
        // Stopped while the dense run was going (the answer itself was complete): no speedup rather than a wrong one.
        if (d.stopReason !== 'aborted') {
          measure.denseTimings = alignDenseTimings(denseMeasure.timings, decodeSteps(d.tokens, d.stopReason), decodeSteps(r.tokens, r.stopReason));
        }
      }
      const stats = contractTurnStats(turnStats(measure), args.turn, entry.video.missingFrames, measure.prefixPrefillMs);
      const inspector = contractInspectorTurn(entry.session.inspector(measure, entry.video.frameTimes), stats, measure.massShareByLayer);
      return { text: r.answer, stopped: r.stopReason === 'aborted', stats, inspector };
    } finally {
      this.asking.delete(args.sessionId);
    }
  }

  /** Stops the answer being written, or the preparation before it. */
  stop(sessionId: string): boolean {
    const a = this.asking.get(sessionId) ?? this.preparing.get(sessionId);
    a?.abort();
    return !!a;
  }

  cancelPrepare(sessionId: string): boolean {
    const a = this.preparing.get(sessionId);
    a?.abort();
    return !!a;
  }

  drop(sessionId: string): boolean {
    const e = this.sessions.get(sessionId);
    if (!e) return false;
    this.asking.get(sessionId)?.abort();
    e.session.dispose();
    e.dense?.dispose();
    this.sessions.delete(sessionId);
    return true;
  }

  /** Drops the least recently used prepared conversations beyond `max` (never `keep` or one answering now). */
  private evictBeyond(max: number, keep: string): void {
    for (const id of [...this.sessions.keys()]) {
      if (this.sessions.size <= max) break;
      if (id !== keep && !this.asking.has(id)) this.drop(id);
    }
  }

  /** Drops every conversation and frees the model. */
  dispose(): void {
    for (const id of [...this.sessions.keys()]) this.drop(id);
    this.vision.clear();
    this.model?.loaded.dispose();
    this.model = null;
  }

  private async loadModel(modelKey: string, dir: string, settings: Settings): Promise<LoadedVlm> {
    if (this.model?.key === modelKey) return this.model.loaded;
    // One model in memory at a time: sessions on another model go (they are rebuilt on their next question).
    for (const [id, e] of this.sessions) if (e.modelKey !== modelKey) this.drop(id);
    this.vision.clear();
    this.model?.loaded.dispose();
    this.model = null;
    const loaded = await loadVlm(dir, { backend: settings.backend, visionPrecision: settings.visionPrecision });
    this.model = { key: modelKey, loaded, warmed: new Set() };
    return loaded;
  }

  private throwIfCancelled(abort: AbortController): void {
    if (abort.signal.aborted) throw new CancelledError('preparing the video was cancelled');
  }
}
