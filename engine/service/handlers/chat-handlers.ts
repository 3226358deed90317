// The chat flow: persist the question, prepare the video in the engine (decode + vision, with progress and cancel),
// stream the answer as events, persist it with its stats and the inspector data. The answer in flight lives only in
// memory until it ends, so a kill at any moment loses at most that answer.
import { randomUUID } from 'node:crypto';
import type { ChatMessage, Conversation, Settings, VideoInfo } from '../../../electron/contract.ts';
import type { AskArgs, PrepareArgs } from '../engine-host/engine-contract.ts';
import { availableRam, estimateMemory } from '../models/memory-estimate.ts';
import { estimateQwenModel } from '../models/qwen-memory-estimate.ts';
import { ServiceError, type ServiceContext } from '../service-context.ts';
import { tooLongMessage, TurnBudget } from '../turn-budget.ts';
import { ttftFromAsk } from '../ttft-from-ask.ts';
import { checkFfmpegSetting } from './ffmpeg-setting.ts';
import { TurnSlots } from './turn-slots.ts';
import type { CallHandlers } from './types.ts';

export function chatHandlers(
  ctx: ServiceContext,
): Pick<CallHandlers, 'chat.estimate' | 'chat.measure' | 'chat.ask' | 'chat.undoReplace' | 'chat.stop' | 'chat.cancelPrepare' | 'inspector.get'> & { idle(): Promise<void> } {
  const running = new Map<string, Promise<void>>();
  const slots = new TurnSlots();
  const budget = new TurnBudget();

  /** The question measured against the turn's room, with the earlier turns that fit beside it; null without a model. */
  const planTurn = (settings: Settings, question: string, history: { question: string; answer: string }[]) => {
    const model = ctx.models.resolve(settings.modelId);
    return model ? budget.plan(model.info.path, settings, question, history) : null;
  };

  const settingsFor = (conv: Conversation, override?: Partial<Settings>): Settings => ({ ...conv.settings, ...(override ?? {}) });

  // The model the engine holds after the last successful preparation (until it restarts): its weights already live in
  // the engine's memory, which free RAM no longer counts.
  let resident: { path: string; backend: Settings['backend']; restarts: number } | null = null;

  /** video: the conversation's; a model that samples by rate (Qwen-VL) counts its frames and tokens from it. */
  const estimate = (settings: Settings, video: VideoInfo | undefined) => {
    const model = ctx.models.resolve(settings.modelId);
    if (!model) throw new ServiceError('invalid_request', 'No model is available: add a model folder or download one in the model manager.');
    const status = ctx.engine.status();
    const useGpu = status.backend === 'cuda' && settings.backend !== 'cpu' && status.gpuMemoryBytes !== null;
    const common = {
      settings,
      backend: useGpu ? ('cuda' as const) : ('cpu' as const),
      availableBytes: useGpu ? (status.gpuMemoryBytes as number) : availableRam(),
      weightsResident: resident !== null && resident.path === model.info.path && resident.backend === settings.backend
        && resident.restarts === status.restarts && status.state !== 'crashed' && status.state !== 'restarting',
    };
    if (model.kind === 'llava') return { model, estimate: estimateMemory({ config: model.config, parameters: model.info.weightCounts, ...common }) };
    if (!video) throw new ServiceError('not_found', 'the conversation\'s video is no longer in the library; open it again');
    try {
      return { model, estimate: estimateQwenModel(model.info.path, model.info.weightCounts, video, common) };
    } catch (err) {
      throw new ServiceError('invalid_request', (err as Error).message);
    }
  };

  /** askedAt: performance.now() when chat.ask arrived, the user's Enter as the service sees it. */
  async function runTurn(conv: Conversation, settings: Settings, turn: number, question: string, assistant: ChatMessage, askedAt: number): Promise<void> {
    const conversationId = conv.id;
    const video = ctx.library.get(conv.videoId);
    const finish = async (status: 'done' | 'stopped' | 'error', text: string, extra: Partial<ChatMessage>) => {
      const latest = ctx.conversations.get(conversationId);
      if (!latest) return;
      const msg = latest.messages.find((m) => m.id === assistant.id);
      if (!msg) return;
      Object.assign(msg, { text, status, ...extra });
      latest.updatedAt = Date.now();
      await ctx.conversations.save(latest);
      ctx.emit('chat.done', { conversationId, messageId: assistant.id, status, error: extra.error, stats: extra.stats });
    };
    let text = '';
    let firstTokenAt: number | null = null;
    let framesMs = 0;
    let visionReused = false;
    if (!(await slots.acquire(conversationId))) {
      await finish('stopped', '', { error: 'stopped before it started (it was waiting for other conversations\' answers)' });
      return;
    }
    try {
      if (!video) throw new ServiceError('not_found', 'the conversation\'s video is no longer in the library; open it again');
      const { model, estimate: mem } = estimate(settings, video);
      if (!mem.fits) throw new ServiceError('invalid_request', mem.message);
      const prepareArgs: PrepareArgs = { sessionId: conversationId, modelPath: model.info.path, videoPath: video.path, settings };
      const prepareAndAsk = async () => {
        const prepared = await ctx.engine.request('prepare', prepareArgs, (e) => {
          if (e.event === 'progress') ctx.emit('chat.progress', { conversationId, ...e.data });
        });
        framesMs = prepared.framesMs ?? 0;
        visionReused = prepared.visionReused ?? false;
        resident = { path: model.info.path, backend: settings.backend, restarts: ctx.engine.status().restarts };
        const earlier = completedTurns(ctx.conversations.get(conversationId), assistant.id);
        const history = settings.history === 'text' ? budget.plan(model.info.path, settings, question, earlier).history : earlier;
        const askArgs: AskArgs = { sessionId: conversationId, turn, question, history, settings };
        return ctx.engine.request('ask', askArgs, (e) => {
          if (e.event === 'progress') ctx.emit('chat.progress', { conversationId, ...e.data });
          if (e.event !== 'token') return;
          firstTokenAt ??= performance.now();
          const piece = e.data.text;
          text += piece;
          ctx.emit('chat.token', { conversationId, messageId: assistant.id, text: piece });
        });
      };
      // The engine may still drop this conversation between its preparation and its question (it drops the least
      // recently prepared, which can be a waiting one): prepare it again, a bounded number of times.
      let result;
      for (let attempt = 1; ; attempt++) {
        try {
          result = await prepareAndAsk();
          break;
        } catch (err) {
          if ((err as { code?: string }).code !== 'NOT_PREPARED' || attempt >= 3) throw err;
        }
      }
      if (result.inspector) await ctx.inspector.put(conversationId, { ...result.inspector, turn });
      const fromAsk = firstTokenAt === null ? {} : ttftFromAsk(firstTokenAt - askedAt, framesMs, result.stats.timings, visionReused);
      await finish(result.stopped ? 'stopped' : 'done', result.text, { stats: { ...result.stats, turn, ...fromAsk } });
    } catch (err) {
      const message = (err as Error).message || String(err);
      const cancelled = (err as { code?: string }).code === 'ABORTED';
      await finish(cancelled ? 'stopped' : 'error', text, { error: message });
    } finally {
      slots.release();
    }
  }

  /** Marks the conversation busy at once (no await between the check and the mark, so asks arriving together cannot
   *  all pass the check); returns the function that ends the mark when the turn does not start after all. */
  const claim = (conversationId: string): (() => void) => {
    if (running.has(conversationId)) throw new ServiceError('invalid_request', 'an answer is still being written in this conversation; stop it first');
    let end!: () => void;
    const pending = new Promise<void>((resolve) => { end = resolve; });
    running.set(conversationId, pending);
    return () => {
      if (running.get(conversationId) === pending) running.delete(conversationId);
      end();
    };
  };

  return {
    async idle() {
      await Promise.all([...running.values()]);
    },
    async 'chat.estimate'({ conversationId, videoId, settings }) {
      if (conversationId === undefined) {
        const video = ctx.library.get(videoId!);
        if (!video) throw new ServiceError('not_found', `no video with id ${videoId}; open it first`);
        return estimate({ ...ctx.settings.get(), ...(settings ?? {}) }, video).estimate;
      }
      const conv = ctx.conversations.get(conversationId);
      if (!conv) throw new ServiceError('not_found', `no conversation with id ${conversationId}`);
      return estimate(settingsFor(conv, settings), ctx.library.get(conv.videoId)).estimate;
    },
    async 'chat.measure'({ conversationId, question, settings }) {
      const conv = conversationId === undefined ? null : ctx.conversations.get(conversationId);
      if (conversationId !== undefined && !conv) throw new ServiceError('not_found', `no conversation with id ${conversationId}`);
      const s = conv ? settingsFor(conv, settings) : { ...ctx.settings.get(), ...(settings ?? {}) };
      const plan = planTurn(s, question, conv ? completedTurns(conv, undefined) : []);
      if (!plan) throw new ServiceError('invalid_request', 'No model is available: add a model folder or download one in the model manager.');
      return { questionTokens: plan.questionTokens, maxQuestionTokens: plan.maxQuestionTokens, historyTurns: plan.history.length, historyDropped: plan.historyDropped };
    },
    async 'chat.ask'({ conversationId, question, replaceFromMessageId, settings: override }) {
      const askedAt = performance.now();
      const conv = ctx.conversations.get(conversationId);
      if (!conv) throw new ServiceError('not_found', `no conversation with id ${conversationId}`);
      await checkFfmpegSetting(override?.ffmpegPath);
      const unclaim = claim(conversationId);
      try {
        let at = conv.messages.length;
        if (replaceFromMessageId) {
          at = conv.messages.findIndex((m) => m.id === replaceFromMessageId);
          if (at < 0 || conv.messages[at].role !== 'user') {
            throw new ServiceError('invalid_request', `replaceFromMessageId must name a user message of this conversation`);
          }
        }
        const settings = settingsFor(conv, override);
        // Refused before anything is stored: the question stays with the user and uses no turn.
        const plan = planTurn(settings, question, []);
        if (plan && plan.questionTokens > plan.maxQuestionTokens) throw new ServiceError('invalid_request', tooLongMessage(plan));
        // An edit or regenerate keeps what it replaces until the next one, so it can be undone (chat.undoReplace).
        const replaced = replaceFromMessageId ? { at, messages: conv.messages.slice(at) } : undefined;
        conv.messages = conv.messages.slice(0, at);
        conv.replaced = replaced;
        const now = Date.now();
        const user: ChatMessage = { id: `m-${randomUUID()}`, role: 'user', text: question, createdAt: now };
        const assistant: ChatMessage = { id: `m-${randomUUID()}`, role: 'assistant', text: '', createdAt: now, status: 'streaming' };
        conv.messages.push(user, assistant);
        conv.updatedAt = now;
        if (conv.messages.length === 2) conv.title = question.slice(0, 80);
        const turn = nextTurnNumber(conv.messages.slice(0, -2));
        if (replaced) await ctx.inspector.setAside(conversationId, turn);
        else await ctx.inspector.truncate(conversationId, turn);
        await ctx.conversations.save(conv);
        const job = runTurn(conv, settings, turn, question, assistant, askedAt).finally(() => running.delete(conversationId));
        running.set(conversationId, job);
        unclaim(); // the mark is the job now (unclaim only ends a pending mark)
        return { turnId: `t-${randomUUID()}`, userMessageId: user.id, assistantMessageId: assistant.id };
      } catch (err) {
        unclaim();
        throw err;
      }
    },
    async 'chat.undoReplace'({ conversationId }) {
      const conv = ctx.conversations.get(conversationId);
      if (!conv) throw new ServiceError('not_found', `no conversation with id ${conversationId}`);
      if (running.has(conversationId)) throw new ServiceError('invalid_request', 'an answer is still being written in this conversation; stop it first');
      if (!conv.replaced) throw new ServiceError('invalid_request', 'there is no edit or regenerate to undo in this conversation');
      const { at, messages } = conv.replaced;
      const kept = conv.messages.slice(0, at);
      conv.messages = [...kept, ...messages];
      delete conv.replaced;
      conv.updatedAt = Date.now();
      await ctx.inspector.restoreAside(conversationId, nextTurnNumber(kept));
      await ctx.conversations.save(conv);
      return conv;
    },
    async 'chat.stop'({ conversationId }) {
      if (slots.cancel(conversationId)) return { ok: true };
      if (!running.has(conversationId)) return { ok: false };
      const r = await ctx.engine.request('stop', { sessionId: conversationId });
      return { ok: r.ok };
    },
    async 'chat.cancelPrepare'({ conversationId }) {
      if (slots.cancel(conversationId)) return { ok: true };
      if (!running.has(conversationId)) return { ok: false };
      const r = await ctx.engine.request('cancelPrepare', { sessionId: conversationId });
      return { ok: r.ok };
    },
    async 'inspector.get'({ conversationId, turn }) {
      return ctx.inspector.get(conversationId, turn);
    },
  };
}

/** Turns the engine answered (done or stopped, with stats) are numbered; a failed one leaves its number free. */
export function nextTurnNumber(earlier: readonly ChatMessage[]): number {
  return 1 + earlier.filter((m) => m.role === 'assistant' && m.stats !== undefined).length;
}

/** Completed question/answer pairs before the given assistant message. */
function completedTurns(conv: Conversation | undefined, beforeAssistantId: string | undefined): { question: string; answer: string }[] {
  if (!conv) return [];
  const out: { question: string; answer: string }[] = [];
  const msgs = conv.messages;
  for (let i = 0; i + 1 < msgs.length; i++) {
    if (msgs[i + 1].id === beforeAssistantId) break;
    if (msgs[i].role === 'user' && msgs[i + 1].role === 'assistant' && msgs[i + 1].status === 'done') {
      out.push({ question: msgs[i].text, answer: msgs[i + 1].text });
    }
  }
  return out;
}
