// The video player and, under it, the filmstrip of the frames the model sees. Other views seek it via the handle.
import { useEffect, useImperativeHandle, useMemo, useRef, useState, type Ref } from 'react';
import type { SampledFrame, VideoInfo } from '../../../electron/contract.ts';
import { scrollLeftToShow } from '../lib/scroll.ts';
import { clockLabels, formatClock } from '../lib/format.ts';
import { CutOffNote } from './CutOffNote.tsx';

export interface PlayerHandle {
  seek(sec: number): void;
}

interface Props {
  ref?: Ref<PlayerHandle>;
  video: VideoInfo;
  frames: SampledFrame[] | null;
  framesLoading: boolean;
  /** Why sampling failed, if it did. */
  framesError?: string | null;
  height: number;
}

export function Player({ ref, video, frames, framesLoading, framesError = null, height }: Props) {
  const el = useRef<HTMLVideoElement>(null);
  const strip = useRef<HTMLOListElement>(null);
  const [time, setTime] = useState(0);
  const [error, setError] = useState<string | null>(null);

  useImperativeHandle(ref, () => ({
    seek(sec: number) {
      const v = el.current;
      if (!v) return;
      v.currentTime = Math.max(0, Math.min(sec, Number.isFinite(v.duration) ? v.duration : sec));
      setTime(v.currentTime);
      v.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    },
  }));

  useEffect(() => setError(null), [video.mediaUrl]);

  const labels = useMemo(() => (frames ? clockLabels(frames.map((f) => f.timeSec)) : []), [frames]);

  // The sampled frame the playhead is in: the last one at or before the current time.
  let current = -1;
  if (frames) for (let i = 0; i < frames.length; i++) if (frames[i].timeSec <= time + 1e-3) current = i;

  // The current frame stays in view in the strip (scrolling only the strip, never the page around it), also when the
  // frames arrive after the playhead moved.
  useEffect(() => {
    const list = strip.current;
    const item = list?.children[current] as HTMLElement | undefined;
    if (!list || !item) return;
    const itemLeft = item.getBoundingClientRect().left - list.getBoundingClientRect().left + list.scrollLeft;
    const left = scrollLeftToShow(itemLeft, item.offsetWidth, list.scrollLeft, list.clientWidth);
    if (left !== null) list.scrollTo({ left, behavior: 'smooth' });
  }, [current, frames]);

  return (
    <section className="player" aria-label="Player">
      <div className="video-box" style={{ height }}>
        <video
          ref={el}
          src={video.mediaUrl}
          controls
          // No poster: the library's poster is a frame from inside the video, shown here beside a clock reading 0:00.
          // The player shows the frame at its own time (the first, until it plays or seeks).
          preload="metadata"
          onTimeUpdate={(e) => setTime(e.currentTarget.currentTime)}
          onSeeked={(e) => setTime(e.currentTarget.currentTime)}
          onError={() => {
            // The media element reports a missing file and an unsupported codec alike: ask the server which it is.
            const src = video.mediaUrl;
            fetch(src, { headers: { Range: 'bytes=0-0' } }).then(
              (r) => setError(playbackError(r.status, video.path)),
              () => setError(playbackError(null, video.path)),
            );
          }}
        />
        {error && <div className="video-error">{error}</div>}
      </div>
      <div className="filmstrip-wrap">
        <div className="filmstrip-head">
          <span>
            {frames ? sampledText(frames) : framesLoading ? 'Sampling frames…' : framesError ? (
              <span className="warn" title={framesError}>Frames could not be sampled: {framesError}</span>
            ) : (
              'Frames not sampled yet'
            )}
          </span>
          <span className="muted">
            {formatClock(time)} / {formatClock(video.durationSec)} · {video.width}×{video.height} · {video.codec}
            {video.fps ? ` · ${video.fps.toFixed(video.fps % 1 ? 2 : 0)} fps` : ''}
          </span>
        </div>
        <CutOffNote frames={frames} />
        <ol className="filmstrip" ref={strip} aria-label="Sampled frames">
          {frames?.map((f, i) => (
            <li key={f.thumbUrl}>
              <button
                className={`frame-thumb${i === current ? ' current' : ''}${f.missing ? ' missing' : ''}`}
                onClick={() => {
                  const v = el.current;
                  if (v) v.currentTime = f.timeSec;
                  setTime(f.timeSec);
                }}
                title={`Frame ${f.index + 1} at ${labels[i]}${f.missing ? ' — missing: the file ends before it (the last decoded frame stands in)' : ''}`}
                aria-label={`Seek to frame ${f.index + 1} at ${labels[i]}${f.missing ? ' (missing from the file)' : ''}`}
              >
                <img src={f.thumbUrl} alt="" loading="lazy" />
                {f.missing && <em className="missing-tag">missing</em>}
                <span>{labels[i]}</span>
              </button>
            </li>
          ))}
          {!frames && framesLoading && Array.from({ length: 12 }, (_, i) => <li key={i} className="frame-skeleton" />)}
        </ol>
      </div>
    </section>
  );
}

/** "32 sampled frames", or with a short video "64 sampled frames (40 distinct: some are repeated)". */
export function sampledText(frames: readonly SampledFrame[]): string {
  const distinct = new Set(frames.map((f) => Math.round(f.timeSec * 1000))).size;
  const head = `${frames.length} sampled frame${frames.length === 1 ? '' : 's'}`;
  return distinct < frames.length ? `${head} (${distinct} distinct: the video has fewer frames, some are repeated)` : head;
}

/** Why the player cannot play the file, from the media URL's HTTP status (null when it could not be asked). */
export function playbackError(status: number | null, file: string): string {
  if (status === 404) return `The file is no longer at ${file} (moved or deleted?). Open it again from where it is now.`;
  return 'This video cannot be played here (the codec may be unsupported by the browser). The model can still read it.';
}
