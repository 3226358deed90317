// Left sidebar: open a video (dialog, path, drop), the recent videos, and the current video's conversations.
import { useEffect, useState } from 'react';
import type { VideoInfo } from '../../../electron/contract.ts';
import { countOf, formatClock, formatRelative } from '../lib/format.ts';
import { relativePathProblem } from '../lib/paths.ts';
import { ConfirmDialog } from './Dialog.tsx';
import type { Session } from '../state/useSession.ts';
import { useApi } from '../state/api.ts';
import { useToasts } from '../state/toasts.tsx';

interface Props {
  session: Session;
  serveMode: boolean;
}

export function Library({ session, serveMode }: Props) {
  const api = useApi();
  const toasts = useToasts();
  const [path, setPath] = useState('');
  const [showPath, setShowPath] = useState(serveMode);
  const [opening, setOpening] = useState(false);
  const [pathError, setPathError] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<{ id: string; title: string } | null>(null);

  const pick = async () => {
    try {
      const res = await api.call('videos.pick', {});
      if (!res.path) return;
      setOpening(true);
      await session.openPath(res.path);
    } catch (e) {
      toasts.push('error', `Open dialog: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setOpening(false);
    }
  };

  return (
    <nav className="library" aria-label="Library">
      <section className="lib-open">
        {!serveMode && (
          <button className="btn btn-primary btn-block" onClick={pick} disabled={opening} aria-busy={opening}>
            {opening ? 'Opening…' : 'Open video…'}
          </button>
        )}
        {showPath || serveMode ? (
          <form
            className="path-form"
            onSubmit={(e) => {
              e.preventDefault();
              const p = path.trim();
              if (!p || opening) return;
              setPathError(relativePathProblem(p, '/home/me/videos/talk.mp4'));
              if (relativePathProblem(p, '')) return;
              setOpening(true);
              // A path that did not open stays in the box, to be corrected.
              void session.openPath(p).then((ok) => {
                setOpening(false);
                if (ok) setPath('');
              });
            }}
          >
            <label htmlFor="video-path" className="field-label">
              Video file path {serveMode && <span className="muted">(on the machine running serve mode)</span>}
            </label>
            <div className="row">
              <input
                id="video-path"
                className="input"
                placeholder="/home/me/videos/talk.mp4"
                value={path}
                onChange={(e) => {
                  setPath(e.target.value);
                  setPathError(null);
                }}
                aria-invalid={pathError !== null}
                spellCheck={false}
                autoComplete="off"
              />
              <button className="btn" type="submit" disabled={!path.trim() || opening} aria-busy={opening}>
                {opening ? 'Opening…' : 'Open'}
              </button>
            </div>
            {pathError && (
              <p className="form-error" role="alert">
                {pathError}
              </p>
            )}
          </form>
        ) : (
          <button className="link-btn" onClick={() => setShowPath(true)}>
            Open by path…
          </button>
        )}
        <p className="hint">{serveMode ? 'Browsers cannot see dropped files’ paths: paste the path above.' : 'Or drop a video anywhere on the window.'}</p>
      </section>

      <section className="lib-section" aria-labelledby="recent-h">
        <h2 id="recent-h" className="section-title">
          Recent videos
        </h2>
        {session.recent.length === 0 ? (
          <p className="empty">No videos yet.</p>
        ) : (
          <ul className="video-list">
            {session.recent.map((v) => (
              <VideoItem
                key={v.id}
                v={v}
                active={session.video?.id === v.id}
                onOpen={() => void session.selectVideo(v)}
                onRemove={() => void session.removeVideo(v.id)}
              />
            ))}
          </ul>
        )}
      </section>

      {session.video && (
        <section className="lib-section" aria-labelledby="convs-h">
          <div className="section-head">
            <h2 id="convs-h" className="section-title">
              Conversations
            </h2>
            <button className="btn btn-small" onClick={() => void session.newConversation()}>
              + New
            </button>
          </div>
          {session.conversations.length === 0 ? (
            <p className="empty">Ask a question to start one.</p>
          ) : (
            <ul className="conv-list">
              {session.conversations.map((c) => (
                <li key={c.id} className={c.id === session.conversation?.id ? 'conv active' : 'conv'}>
                  <button className="conv-open" onClick={() => void session.selectConversation(c.id)} aria-current={c.id === session.conversation?.id}>
                    <span className="conv-title">{c.title || 'Untitled'}</span>
                    <span className="conv-meta">
                      {c.settings.policy} · {formatRelative(c.updatedAt)}
                    </span>
                  </button>
                  <button
                    className="icon-btn conv-del"
                    aria-label={`Delete conversation ${c.title}`}
                    title="Delete conversation"
                    onClick={() => {
                      setDeleting({ id: c.id, title: c.title || 'Untitled' });
                    }}
                  >
                    ×
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete this conversation?"
          body={<p>“{deleting.title}” and its answers and inspector data are deleted. This cannot be undone.</p>}
          confirm="Delete"
          onConfirm={() => void session.deleteConversation(deleting.id)}
          onCancel={() => setDeleting(null)}
        />
      )}
    </nav>
  );
}

export function VideoItem(props: { v: VideoInfo; active: boolean; onOpen(): void; onRemove(): void }) {
  const { v, active } = props;
  const api = useApi();
  const [last, setLast] = useState<{ title: string; updatedAt: number } | null>(null);
  useEffect(() => {
    if (!v.lastConversationId) return;
    let alive = true;
    api.call('conversations.list', { videoId: v.id }).then(
      (list) => {
        const c = list.find((x) => x.id === v.lastConversationId) ?? [...list].sort((a, b) => b.updatedAt - a.updatedAt)[0];
        if (alive) setLast(c ? { title: c.title || 'Untitled', updatedAt: c.updatedAt } : null);
      },
      () => undefined,
    );
    return () => {
      alive = false;
    };
  }, [api, v.id, v.lastConversationId, v.lastOpenedAt]);
  return (
    <li className={active ? 'video-item active' : 'video-item'}>
      <button className="video-open" onClick={props.onOpen} aria-current={active} title={v.path}>
        <span className="poster">
          {v.posterUrl ? <img src={v.posterUrl} alt="" loading="lazy" /> : <span className="poster-empty" />}
          <span className="duration">{formatClock(v.durationSec)}</span>
        </span>
        <span className="video-text">
          <span className="video-name">{v.name}</span>
          <span className="video-meta">
            {v.width}×{v.height} · {formatRelative(v.lastOpenedAt)}
          </span>
          {!!v.missingFrames && (
            <span className="badge badge-warn" title={`Cut off: ${countOf(v.missingFrames, 'sampled frame')} lie past where this file really ends (an interrupted copy or recording?)`}>
              ⚠ {countOf(v.missingFrames, 'frame')} cut off
            </span>
          )}
          {last && (
            <span className="video-last" title={`Last conversation, ${formatRelative(last.updatedAt)}`}>
              ↳ {last.title}
            </span>
          )}
        </span>
      </button>
      <button className="icon-btn video-del" aria-label={`Remove ${v.name} from recent`} title="Remove from recent" onClick={props.onRemove}>
        ×
      </button>
    </li>
  );
}
