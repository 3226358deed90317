// What the center shows before a video is open.
import { useState } from 'react';

export function Welcome({ serveMode, hasRecent, onDemo }: { serveMode: boolean; hasRecent: boolean; onDemo?: () => Promise<boolean> }) {
  const [making, setMaking] = useState(false);
  return (
    <div className="welcome">
      <div className="welcome-card">
        <h1>Talk with your videos</h1>
        <p>
          Open a local video and ask about it. SparseVILA keeps only the visual tokens that matter: it prunes by the vision encoder’s
          saliency before prefill, then for every question reads just the tokens relevant to it, so long videos stay fast across many
          turns.
        </p>
        <ol>
          <li>{serveMode ? 'Paste the path of a video on the left (on the machine running serve mode).' : 'Click “Open video…” or drop a file on this window.'}</li>
          <li>Ask a question. Times in the answer link to the player.</li>
          <li>Open the Inspector to see which tokens each answer read.</li>
        </ol>
        {hasRecent && <p className="muted">Or pick one of your recent videos.</p>}
        {onDemo && (
          <p className="demo-row">
            <button
              className="btn"
              disabled={making}
              onClick={() => {
                setMaking(true);
                void onDemo().finally(() => setMaking(false));
              }}
            >
              {making ? 'Making the demo video…' : 'Try a demo video'}
            </button>
            <span className="muted"> a 16-second clip of coloured shapes, the world the built-in model knows</span>
          </p>
        )}
      </div>
    </div>
  );
}
