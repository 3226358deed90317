// One chat message with its actions (copy, edit-and-resend, regenerate, inspect) and, for answers, its statistics.
import { useState } from 'react';
import type { ChatMessage } from '../../../electron/contract.ts';
import { countOf } from '../lib/format.ts';
import { RichText } from './RichText.tsx';
import { StatsLine } from './StatsLine.tsx';

interface Props {
  m: ChatMessage;
  durationSec: number | null;
  busy: boolean;
  inspected: boolean;
  onSeek(sec: number): void;
  onEdit?(text: string): void;
  /** Regenerate; `temperature` overrides the setting for this answer only. */
  onRegenerate?(temperature?: number): void;
  onInspect?(): void;
  /** Messages after this question that an edit would replace (the edit form says so). */
  laterCount?: number;
  /** This turn replaced an earlier version of itself and `later` messages after it (the last edit or regenerate):
   *  offer to undo it. */
  replaced?: { later: number; onUndo(): void };
  /** Sampling is greedy (temperature 0): regenerating gives the same answer, so offer a temperature. */
  greedy?: boolean;
}

/** The temperature offered to regenerate a greedy answer differently. */
export const REGENERATE_TEMPERATURE = 0.7;

export function Message({ m, durationSec, busy, inspected, onSeek, onEdit, onRegenerate, onInspect, laterCount = 0, replaced, greedy = false }: Props) {
  const [regenChoice, setRegenChoice] = useState(false);
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(m.text);
  const [copied, setCopied] = useState(false);
  const streaming = m.status === 'streaming';

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(m.text);
    } catch {
      const ta = document.createElement('textarea');
      ta.value = m.text;
      document.body.appendChild(ta);
      ta.select();
      document.execCommand('copy');
      ta.remove();
    }
    setCopied(true);
    window.setTimeout(() => setCopied(false), 1200);
  };

  if (m.role === 'user') {
    return (
      <article className="msg msg-user" aria-label="Your question">
        {editing ? (
          <form
            className="edit-form"
            onSubmit={(e) => {
              e.preventDefault();
              if (draft.trim()) {
                setEditing(false);
                onEdit?.(draft.trim());
              }
            }}
          >
            <textarea
              className="input"
              aria-label="Edit question"
              value={draft}
              autoFocus
              rows={Math.min(8, draft.split('\n').length + 1)}
              onChange={(e) => setDraft(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Escape') {
                  // Esc here cancels the edit; it must not also reach the window's "Esc stops the answer".
                  e.stopPropagation();
                  setEditing(false);
                }
                if (e.key === 'Enter' && !e.shiftKey) {
                  e.preventDefault();
                  e.currentTarget.form?.requestSubmit();
                }
              }}
            />
            {laterCount > 0 && (
              <p className="hint edit-warn" role="note">
                Resending replaces the {laterCount === 1 ? 'message' : `${laterCount} messages`} after this question; you can undo it afterwards.
              </p>
            )}
            <div className="row end">
              <button type="button" className="btn btn-small" onClick={() => setEditing(false)}>
                Cancel
              </button>
              <button type="submit" className="btn btn-small btn-primary" disabled={!draft.trim() || busy}>
                Save &amp; resend
              </button>
            </div>
          </form>
        ) : (
          <div className="msg-body">{m.text}</div>
        )}
        {!editing && replaced && (
          <div className="replaced-note" role="status">
            This replaced the previous version of this turn{replaced.later > 0 ? ` and ${countOf(replaced.later, 'later message')}` : ''}.{' '}
            <button className="act" disabled={busy} onClick={replaced.onUndo}>
              Undo
            </button>
          </div>
        )}
        {!editing && (
          <div className="msg-actions">
            <button className="act" onClick={copy}>
              {copied ? 'Copied' : 'Copy'}
            </button>
            {onEdit && (
              <button
                className="act"
                disabled={busy}
                onClick={() => {
                  setDraft(m.text);
                  setEditing(true);
                }}
              >
                Edit
              </button>
            )}
          </div>
        )}
      </article>
    );
  }

  return (
    <article
      className={`msg msg-assistant${inspected ? ' inspected' : ''}`}
      aria-label="Answer"
      aria-busy={streaming}
      aria-live={streaming ? 'polite' : undefined}
    >
      <div className="msg-body">
        {m.text ? <RichText text={m.text} durationSec={durationSec} onSeek={onSeek} /> : streaming ? <span className="muted">Thinking…</span> : null}
        {streaming && <span className="caret" aria-hidden="true" />}
      </div>
      {m.status === 'stopped' && <div className="badge badge-warn">Stopped</div>}
      {m.status === 'error' && <div className="badge badge-err">Failed: {m.error ?? 'unknown error'}</div>}
      {m.stats && <StatsLine stats={m.stats} />}
      {!streaming && (
        <div className="msg-actions">
          <button className="act" onClick={copy}>
            {copied ? 'Copied' : 'Copy'}
          </button>
          {onRegenerate && (
            <button
              className="act"
              disabled={busy}
              aria-expanded={greedy ? regenChoice : undefined}
              onClick={() => (greedy ? setRegenChoice((v) => !v) : onRegenerate())}
            >
              Regenerate
            </button>
          )}
          {onInspect && m.stats && (
            <button className="act" onClick={onInspect} aria-pressed={inspected}>
              Inspect turn {m.stats.turn}
            </button>
          )}
        </div>
      )}
      {onRegenerate && greedy && regenChoice && !streaming && (
        <div className="regen-choice" role="group" aria-label="Regenerate how">
          <span className="muted">At temperature 0 the model picks the likeliest word each time: the same settings give the same answer.</span>
          <button
            className="btn btn-small btn-primary"
            disabled={busy}
            onClick={() => {
              setRegenChoice(false);
              onRegenerate(REGENERATE_TEMPERATURE);
            }}
          >
            Regenerate at temperature {REGENERATE_TEMPERATURE}
          </button>
          <button
            className="btn btn-small"
            disabled={busy}
            onClick={() => {
              setRegenChoice(false);
              onRegenerate();
            }}
          >
            Same settings
          </button>
        </div>
      )}
    </article>
  );
}
