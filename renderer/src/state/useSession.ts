// The open video, its conversations, and the one conversation on screen with its streaming answer.
// Tokens stream in through events; when a turn ends the conversation is re-read from the server, which owns it.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ChatMessage, Conversation, SampledFrame, Settings, VideoInfo } from '../../../electron/contract.ts';
import { errorMessage } from '../lib/format.ts';
import { readPref, writePref } from '../lib/prefs.ts';
import { useApi } from './api.ts';
import { useToasts } from './toasts.tsx';
import { budgetText } from './useQuestionBudget.ts';
import { trackProgress, type PrepTrack } from '../lib/prep-progress.ts';
import type { ConversationSummary } from './types.ts';

export interface AskOptions {
  replaceFromMessageId?: string;
  settings?: Partial<Settings>;
  /** Ask the server for a memory estimate first and refuse (without asking) when it would not fit. */
  checkMemory?: boolean;
}

/** refused: not sent, with why (it would not fit in memory, or the question is too long); the question stays. */
export type AskResult = { messageId: string } | { refused: string; reason: 'memory' | 'length' } | null;

export interface Session {
  recent: VideoInfo[];
  video: VideoInfo | null;
  frames: SampledFrame[] | null;
  framesLoading: boolean;
  /** Why the frames could not be sampled (null while loading or once they are). */
  framesError: string | null;
  conversations: ConversationSummary[];
  conversation: Conversation | null;
  /** The preparation under way (decode, vision, prefill...), tracked with this window's clock. */
  progress: PrepTrack | null;
  streamingId: string | null;
  /** Bumped whenever a turn finishes, so views that depend on turns (inspector) refetch. */
  turnsVersion: number;
  /** Opens a video file; false (after a toast saying why) when it could not be opened. */
  openPath(path: string): Promise<boolean>;
  /** Makes (once) and opens the demo video of the built-in model's shapes world. */
  openDemo(): Promise<boolean>;
  selectVideo(v: VideoInfo): Promise<void>;
  removeVideo(id: string): Promise<void>;
  selectConversation(id: string): Promise<void>;
  newConversation(): Promise<void>;
  deleteConversation(id: string): Promise<void>;
  ask(question: string, opts?: AskOptions): Promise<AskResult>;
  /** Undo the last edit or regenerate: the messages it replaced come back. */
  undoReplace(): Promise<void>;
  stop(): void;
  cancelPrepare(): void;
}

/** The settings the filmstrip's sampling depends on besides the frame count (the model, and Qwen-VL's rate sampling). */
export type FilmstripSettings = Pick<Settings, 'modelId' | 'sampleFps' | 'maxFrames' | 'maxPixels'>;

export function useSession(frameCount: number | null, filmstrip: FilmstripSettings | null = null): Session {
  const filmstripKey = JSON.stringify(filmstrip);
  const api = useApi();
  const toasts = useToasts();
  const [recent, setRecent] = useState<VideoInfo[]>([]);
  const [video, setVideo] = useState<VideoInfo | null>(null);
  // Frames remember their video, so one video's frames never show under another while the new ones are sampled.
  const [sampled, setSampled] = useState<{ videoId: string; list: SampledFrame[] } | null>(null);
  const setFrames = (list: SampledFrame[] | null, videoId = videoRef.current?.id) =>
    setSampled(list && videoId ? { videoId, list } : null);
  const frames = sampled && sampled.videoId === video?.id ? sampled.list : null;
  const [framesLoading, setFramesLoading] = useState(false);
  const [framesError, setFramesError] = useState<string | null>(null);
  const [conversations, setConversations] = useState<ConversationSummary[]>([]);
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const [progress, setProgress] = useState<PrepTrack | null>(null);
  const [streamingId, setStreamingId] = useState<string | null>(null);
  const [turnsVersion, setTurnsVersion] = useState(0);

  const convRef = useRef<Conversation | null>(null);
  convRef.current = conversation;
  const videoRef = useRef<VideoInfo | null>(null);
  videoRef.current = video;
  // Tokens that arrived before the chat.ask reply named their message, and tokens waiting for the next frame.
  const tokenBuffer = useRef(new Map<string, string>());
  const flushScheduled = useRef(false);

  const fail = useCallback((what: string, e: unknown) => toasts.push('error', `${what}: ${errorMessage(e)}`), [toasts]);

  const refreshRecent = useCallback(async () => {
    try {
      setRecent(await api.call('videos.recent', {}));
    } catch (e) {
      fail('Recent videos', e);
    }
  }, [api, fail]);

  const refreshConversations = useCallback(
    async (videoId: string) => {
      try {
        const list = await api.call('conversations.list', { videoId });
        if (videoRef.current?.id === videoId) setConversations([...list].sort((a, b) => b.updatedAt - a.updatedAt));
      } catch (e) {
        fail('Conversations', e);
      }
    },
    [api, fail],
  );

  const loadConversation = useCallback(
    async (id: string) => {
      const c = await api.call('conversations.get', { id });
      setConversation(c);
      writePref('lastConversationId', c.id);
      return c;
    },
    [api],
  );

  const selectVideo = useCallback(
    async (v: VideoInfo) => {
      setVideo(v);
      videoRef.current = v;
      setConversation(null);
      setConversations([]);
      setProgress(null);
      setStreamingId(null);
      writePref('lastVideoId', v.id);
      try {
        const list = await api.call('conversations.list', { videoId: v.id });
        const sorted = [...list].sort((a, b) => b.updatedAt - a.updatedAt);
        if (videoRef.current?.id !== v.id) return;
        setConversations(sorted);
        const wanted = readPref<string | null>('lastConversationId', null);
        const pick = sorted.find((c) => c.id === wanted) ?? sorted.find((c) => c.id === v.lastConversationId) ?? sorted[0];
        if (pick) await loadConversation(pick.id);
      } catch (e) {
        fail('Opening the conversations', e);
      }
    },
    [api, fail, loadConversation],
  );

  const openPath = useCallback(
    async (path: string) => {
      try {
        const v = await api.call('videos.open', { path });
        await selectVideo(v);
        void refreshRecent();
        return true;
      } catch (e) {
        fail('Could not open the video', e);
        return false;
      }
    },
    [api, fail, refreshRecent, selectVideo],
  );

  const openDemo = useCallback(async () => {
    try {
      const v = await api.call('videos.demo', {});
      await selectVideo(v);
      void refreshRecent();
      return true;
    } catch (e) {
      fail('Could not make the demo video', e);
      return false;
    }
  }, [api, fail, refreshRecent, selectVideo]);

  const removeVideo = useCallback(
    async (id: string) => {
      try {
        await api.call('videos.remove', { id });
        if (videoRef.current?.id === id) {
          setVideo(null);
          setConversation(null);
          setConversations([]);
          setFrames(null);
        }
        await refreshRecent();
      } catch (e) {
        fail('Removing the video', e);
      }
    },
    [api, fail, refreshRecent],
  );

  // First load: recent videos, and reopen what was on screen last time.
  useEffect(() => {
    let alive = true;
    api.call('videos.recent', {}).then(
      (list) => {
        if (!alive) return;
        setRecent(list);
        const last = readPref<string | null>('lastVideoId', null);
        const v = list.find((x) => x.id === last);
        if (v && !videoRef.current) void selectVideo(v);
      },
      (e) => fail('Recent videos', e),
    );
    return () => {
      alive = false;
    };
  }, [api, fail, selectVideo]);

  // Sampled frames for the filmstrip and inspector follow the video and the frame-count setting.
  useEffect(() => {
    if (!video || !frameCount) return;
    let alive = true;
    setFramesLoading(true);
    setFramesError(null);
    const settings = JSON.parse(filmstripKey) as FilmstripSettings | null;
    api.call('videos.frames', { videoId: video.id, frames: frameCount, ...(settings ? { settings } : {}) }).then(
      (f) => {
        if (!alive) return;
        setFrames(f, video.id);
        setFramesLoading(false);
        // Sampling is what finds a cut-off file: the library's badge follows without a reload.
        const missing = f.filter((x) => x.missing).length;
        setRecent((list) => list.map((v) => (v.id === video.id && v.missingFrames !== missing ? { ...v, missingFrames: missing } : v)));
      },
      (e) => {
        if (!alive) return;
        setFrames(null);
        setFramesLoading(false);
        setFramesError(errorMessage(e));
        fail('Sampling frames', e);
      },
    );
    return () => {
      alive = false;
    };
  }, [api, video, frameCount, filmstripKey, fail]);

  const flushTokens = useCallback(() => {
    flushScheduled.current = false;
    const buf = tokenBuffer.current;
    if (buf.size === 0) return;
    setConversation((c) => {
      if (!c) return c;
      let changed = false;
      const messages = c.messages.map((m) => {
        const add = buf.get(m.id);
        if (add === undefined) return m;
        buf.delete(m.id);
        changed = true;
        return { ...m, text: m.text + add };
      });
      return changed ? { ...c, messages } : c;
    });
  }, []);

  // Streaming events for the conversation on screen.
  useEffect(() => {
    const offToken = api.on('chat.token', (p) => {
      if (p.conversationId !== convRef.current?.id) return;
      const buf = tokenBuffer.current;
      buf.set(p.messageId, (buf.get(p.messageId) ?? '') + p.text);
      setProgress(null);
      if (!flushScheduled.current) {
        flushScheduled.current = true;
        requestAnimationFrame(flushTokens);
      }
    });
    const offProgress = api.on('chat.progress', (p) => {
      if (p.conversationId === convRef.current?.id) setProgress((prev) => trackProgress(prev, p, Date.now()));
    });
    const offDone = api.on('chat.done', (p) => {
      const current = convRef.current;
      if (p.conversationId !== current?.id) {
        if (videoRef.current) void refreshConversations(videoRef.current.id);
        return;
      }
      flushTokens();
      setProgress(null);
      setStreamingId((id) => (id === p.messageId ? null : id));
      setConversation((c) =>
        c
          ? {
              ...c,
              messages: c.messages.map((m) =>
                m.id === p.messageId ? { ...m, status: p.status, error: p.error, stats: p.stats ?? m.stats } : m,
              ),
            }
          : c,
      );
      if (p.status === 'error' && p.error) toasts.push('error', p.error);
      // The server owns the conversation: re-read it so ids, text and stats match what was persisted.
      api.call('conversations.get', { id: p.conversationId }).then(
        (c) => {
          if (convRef.current?.id === c.id) setConversation(c);
          setTurnsVersion((v) => v + 1);
        },
        () => setTurnsVersion((v) => v + 1),
      );
      if (videoRef.current) void refreshConversations(videoRef.current.id);
      void refreshRecent();
    });
    return () => {
      offToken();
      offProgress();
      offDone();
    };
  }, [api, flushTokens, refreshConversations, refreshRecent, toasts]);

  const selectConversation = useCallback(
    async (id: string) => {
      try {
        setProgress(null);
        setStreamingId(null);
        await loadConversation(id);
      } catch (e) {
        fail('Opening the conversation', e);
      }
    },
    [fail, loadConversation],
  );

  // A new conversation is a blank page: it is created on the server by its first question (ask), so pressing
  // "+ New" a few times leaves no pile of empty "Untitled" conversations behind.
  const newConversation = useCallback(async () => {
    if (!videoRef.current) return;
    setConversation(null);
    convRef.current = null;
    setProgress(null);
    setStreamingId(null);
  }, []);

  const deleteConversation = useCallback(
    async (id: string) => {
      try {
        await api.call('conversations.delete', { id });
        if (convRef.current?.id === id) setConversation(null);
        if (videoRef.current) await refreshConversations(videoRef.current.id);
      } catch (e) {
        fail('Deleting the conversation', e);
      }
    },
    [api, fail, refreshConversations],
  );

  const ask = useCallback(
    async (question: string, opts: AskOptions = {}): Promise<AskResult> => {
      const v = videoRef.current;
      if (!v) return null;
      let conv = convRef.current;
      try {
        // Measured first, so a question that cannot fit creates nothing and uses no turn.
        const size = await api.call('chat.measure', { conversationId: conv?.id, question, settings: opts.settings }).catch(() => null);
        if (size && size.questionTokens > size.maxQuestionTokens) {
          return { refused: budgetText(size).note ?? '', reason: 'length' };
        }
        if (!conv) {
          conv = await api.call('conversations.create', { videoId: v.id });
          setConversation(conv);
          convRef.current = conv;
          writePref('lastConversationId', conv.id);
        }
        const convId = conv.id;
        if (opts.checkMemory) {
          const est = await api.call('chat.estimate', { conversationId: convId, settings: opts.settings }).catch(() => null);
          if (est && !est.fits) return { refused: est.message, reason: 'memory' };
        }
        const res = await api.call('chat.ask', {
          conversationId: convId,
          question,
          replaceFromMessageId: opts.replaceFromMessageId,
          settings: opts.settings,
        });
        const now = Date.now();
        const early = tokenBuffer.current.get(res.assistantMessageId) ?? '';
        tokenBuffer.current.delete(res.assistantMessageId);
        const user: ChatMessage = { id: res.userMessageId, role: 'user', text: question, createdAt: now };
        const assistant: ChatMessage = { id: res.assistantMessageId, role: 'assistant', text: early, createdAt: now, status: 'streaming' };
        setConversation((c) => {
          if (!c || c.id !== convId) return c;
          // A fast engine may already have finished (and the re-read conversation holds these messages).
          if (c.messages.some((m) => m.id === assistant.id)) return c;
          const at = opts.replaceFromMessageId ? c.messages.findIndex((m) => m.id === opts.replaceFromMessageId) : -1;
          if (at < 0) return { ...c, messages: [...c.messages, user, assistant], updatedAt: now, replaced: undefined };
          return { ...c, messages: [...c.messages.slice(0, at), user, assistant], updatedAt: now, replaced: { at, messages: c.messages.slice(at) } };
        });
        setStreamingId(res.assistantMessageId);
        void refreshConversations(v.id);
        return { messageId: res.assistantMessageId };
      } catch (e) {
        fail('Could not ask', e);
        return null;
      }
    },
    [api, fail, refreshConversations],
  );

  const undoReplace = useCallback(async () => {
    const c = convRef.current;
    if (!c) return;
    try {
      const restored = await api.call('chat.undoReplace', { conversationId: c.id });
      if (convRef.current?.id === restored.id) setConversation(restored);
      setTurnsVersion((v) => v + 1);
    } catch (e) {
      fail('Undo', e);
    }
  }, [api, fail]);

  const stop = useCallback(() => {
    const c = convRef.current;
    if (c) api.call('chat.stop', { conversationId: c.id }).catch((e) => fail('Stop', e));
  }, [api, fail]);

  const cancelPrepare = useCallback(() => {
    const c = convRef.current;
    if (c) api.call('chat.cancelPrepare', { conversationId: c.id }).catch((e) => fail('Cancel', e));
    setProgress(null);
  }, [api, fail]);

  return {
    recent,
    video,
    frames,
    framesLoading,
    framesError,
    conversations,
    conversation,
    progress,
    streamingId,
    turnsVersion,
    openPath,
    openDemo,
    selectVideo,
    removeVideo,
    selectConversation,
    newConversation,
    deleteConversation,
    ask,
    undoReplace,
    stop,
    cancelPrepare,
  };
}
