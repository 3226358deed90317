// One chat message with its actions (copy, edit-and-resend, regenerate, inspect) and, for answers, its statistics.
import { useState } from 'react';
import type { ChatMessage } from '../../../electron/contract.ts';
import { RichText } from './RichText.tsx';
import { StatsLine } from './StatsLine.tsx';

interface Props {
  m: ChatMessage;
  durationSec: number | null;
  busy: boolean;
  inspected: boolean;
  onSeek(sec: number): void;
  onEdit?(text: string): void;
  onRegenerate?(): void;
  onInspect?(): void;
}

export function Message({ m, durationSec, busy, inspected, onSeek, onEdit, onRegenerate, onInspect }: Props) {
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
            <button className="act" disabled={busy} onClick={onRegenerate}>
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
    </article>
  );
}
