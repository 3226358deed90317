// The conversation on screen: messages, the preparation progress, and the question box.
import { useEffect, useRef, useState, type Ref } from 'react';
import type { MemoryEstimate, ModelInfo, Settings } from '../../../electron/contract.ts';
import { formatBytes } from '../lib/format.ts';
import { prepView } from '../lib/prep-progress.ts';
import { followsAfterScroll } from '../lib/scroll.ts';
import { budgetText, useQuestionBudget } from '../state/useQuestionBudget.ts';
import { suggestionsFor } from '../lib/suggestions.ts';
import type { Session } from '../state/useSession.ts';
import { Message } from './Message.tsx';
import { Progress } from './Progress.tsx';

interface Props {
  session: Session;
  settings: Settings | null;
  /** The model answering (null while unknown). */
  model?: ModelInfo | null;
  estimate: MemoryEstimate | null;
  inspectedTurn: number | null;
  inputRef: Ref<HTMLTextAreaElement>;
  onSeek(sec: number): void;
  onInspect(turn: number): void;
}

export function Chat({ session, settings, model = null, estimate, inspectedTurn, inputRef, onSeek, onInspect }: Props) {
  const [draft, setDraft] = useState('');
  const [refusal, setRefusal] = useState<{ text: string; reason: 'memory' | 'length' } | null>(null);
  /** Enter pressed while an answer is written: say why nothing was sent (the question stays in the box). */
  const [heldBack, setHeldBack] = useState(false);
  const list = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const lastTop = useRef(0);
  const messages = session.conversation?.messages ?? [];
  const replaced = session.conversation?.replaced;
  const busy = session.streamingId !== null || messages.some((m) => m.status === 'streaming');
  const duration = session.video?.durationSec ?? null;
  const suggestions = suggestionsFor(model);
  const budget = useQuestionBudget(session.conversation?.id ?? null, draft.trim(), settings, session.turnsVersion);
  const size = budget && session.video ? budgetText(budget) : null;
  useEffect(() => {
    if (!busy) setHeldBack(false);
  }, [busy]);

  // Follow the stream unless the reader scrolled up: after each render, and whenever the list's content or height
  // changes outside a render (text wrapping, the progress bar or an answer's statistics appearing).
  useEffect(() => {
    const el = list.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  });
  useEffect(() => {
    const el = list.current;
    if (!el) return;
    const follow = () => {
      if (stick.current) el.scrollTop = el.scrollHeight;
    };
    const mo = new MutationObserver(follow);
    mo.observe(el, { childList: true, subtree: true, characterData: true });
    const ro = new ResizeObserver(follow);
    ro.observe(el);
    return () => {
      mo.disconnect();
      ro.disconnect();
    };
  }, []);

  const send = async (question: string, replaceFromMessageId?: string, override: Partial<Settings> = {}) => {
    setRefusal(null);
    const res = await session.ask(question, { replaceFromMessageId, settings: settings ? { ...settings, ...override } : undefined, checkMemory: true });
    if (res && 'refused' in res) setRefusal({ text: res.refused, reason: res.reason });
    return res !== null && 'messageId' in res;
  };

  const submit = async () => {
    const q = draft.trim();
    if (busy && q) setHeldBack(true);
    if (!q || busy || !session.video) return;
    stick.current = true;
    if (await send(q)) setDraft('');
  };

  return (
    <section className="chat" aria-label="Chat">
      <div
        className="messages"
        ref={list}
        role="log"
        aria-label="Messages"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = followsAfterScroll(stick.current, lastTop.current, el.scrollHeight, el.scrollTop, el.clientHeight);
          lastTop.current = el.scrollTop;
        }}
      >
        {messages.length === 0 && (
          <div className="chat-empty">
            <p>Ask anything about this video. Times in answers become links that seek the player.</p>
            {suggestions.note && <p className="hint model-note">{suggestions.note}</p>}
            <div className="suggestions">
              {suggestions.questions.map((s) => (
                <button key={s} className="chip" onClick={() => setDraft(s)}>
                  {s}
                </button>
              ))}
            </div>
          </div>
        )}
        {messages.map((m, i) => {
          const prevUser = m.role === 'assistant' ? [...messages.slice(0, i)].reverse().find((x) => x.role === 'user') : undefined;
          return (
            <Message
              key={m.id}
              m={m}
              durationSec={duration}
              busy={busy}
              inspected={m.stats !== undefined && m.stats.turn === inspectedTurn}
              onSeek={onSeek}
              onEdit={m.role === 'user' ? (text) => void send(text, m.id) : undefined}
              laterCount={messages.length - i - 1}
              replaced={
                m.role === 'user' && replaced && replaced.at === i && replaced.messages.length > 0
                  ? { later: Math.max(0, replaced.messages.length - 2), onUndo: () => void session.undoReplace() }
                  : undefined
              }
              greedy={settings !== null && settings.temperature === 0}
              onRegenerate={prevUser ? (temperature) => void send(prevUser.text, prevUser.id, temperature === undefined ? {} : { temperature }) : undefined}
              onInspect={m.stats ? () => onInspect(m.stats!.turn) : undefined}
            />
          );
        })}
      </div>
      {session.progress && <Progress view={prepView(session.progress, Date.now())} onCancel={session.cancelPrepare} />}
      {refusal && (
        <div className="refusal" role="alert">
          <strong>{refusal.reason === 'memory' ? 'Not sent: this would not fit in memory.' : 'Not sent: the question is too long.'}</strong> {refusal.text}
          <button className="icon-btn" aria-label="Dismiss" onClick={() => setRefusal(null)}>
            ×
          </button>
        </div>
      )}
      {heldBack && (
        <p className="composer-note" role="status">
          Not sent yet: an answer is still being written. Your question stays here; press Enter again when it ends, or <kbd>Esc</kbd> to stop it.
        </p>
      )}
      <form
        className="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label htmlFor="question" className="sr-only">
          Question
        </label>
        <textarea
          id="question"
          ref={inputRef}
          className="input composer-input"
          placeholder={session.video ? 'Ask about the video…' : 'Open a video first'}
          title="Enter to send, Shift+Enter for a new line"
          disabled={!session.video}
          value={draft}
          rows={Math.min(6, Math.max(1, draft.split('\n').length))}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              void submit();
            }
          }}
        />
        {busy ? (
          <button type="button" className="btn btn-stop" onClick={session.stop} title="Stop (Esc)">
            ■ Stop
          </button>
        ) : (
          <button type="submit" className="btn btn-primary" disabled={!draft.trim() || !session.video || size?.over === true} title={size?.over ? size.note ?? undefined : undefined}>
            Send
          </button>
        )}
      </form>
      <div className="composer-foot">
        {settings && (
          <span>
            {settings.policy}
            {settings.policy !== 'dense' && ` · prefill ${Math.round(settings.prefillSparsity * 100)}%`}
            {settings.policy === 'sparsevila' && ` · decode ${Math.round(settings.decodeSparsity * 100)}%`} ·{' '}
            {model?.video ? `${estimate?.sampling ? `${estimate.sampling.frames} ` : ''}frames by rate` : `${settings.frames} frames`}
          </span>
        )}
        {size && (
          <span className={size.over ? 'warn' : 'muted'} title={size.note ?? 'Tokens this question takes / the most that fit in a turn (with room for the answer)'} data-testid="question-size">
            {size.text}
            {size.note ? ` — ${size.note}` : ''}
          </span>
        )}
        {estimate && (
          <span className={estimate.fits ? 'muted' : 'warn'} title={estimate.message}>
            {memoryText(estimate)}
            {estimate.fits ? '' : ' — too big'}
          </span>
        )}
        <span className="muted kbd-hint">
          <kbd>Enter</kbd> send · <kbd>Shift</kbd>+<kbd>Enter</kbd> new line · <kbd>Esc</kbd> stop · <kbd>Ctrl</kbd>+<kbd>K</kbd> focus
        </span>
      </div>
    </section>
  );
}

/** "memory 4.1 GiB of 22 GiB", or once the weights are loaded "memory +120 MiB of 6.3 GiB free" (what is still needed). */
export function memoryText(e: MemoryEstimate): string {
  const rest = e.kvBytes + e.activationBytes;
  return e.weightsLoaded
    ? `memory +${formatBytes(rest)} of ${formatBytes(e.availableBytes)} free (model loaded)`
    : `memory ${formatBytes(e.weightsBytes + rest)} of ${formatBytes(e.availableBytes)}`;
}
