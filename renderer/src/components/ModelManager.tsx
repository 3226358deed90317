// Installed models, adding a local Hugging Face folder, and downloading listed models with progress.
import { useState } from 'react';
import type { ModelInfo, Settings } from '../../../electron/contract.ts';
import { errorMessage, formatBytes, formatParams } from '../lib/format.ts';
import { quantizeView } from '../lib/quantize-progress.ts';
import { relativePathProblem, samePath } from '../lib/paths.ts';
import type { ModelsState } from '../state/useModels.ts';
import { ConfirmDialog, Dialog } from './Dialog.tsx';

interface Props {
  state: ModelsState;
  activeId: string | null;
  onUse(patch: Partial<Settings>): void;
  onClose(): void;
}

const SOURCE_LABEL = { embedded: 'built in', local: 'local folder', downloaded: 'downloaded' } as const;

export function ModelManager({ state, activeId, onUse, onClose }: Props) {
  const [path, setPath] = useState('');
  const [adding, setAdding] = useState(false);
  const [addError, setAddError] = useState<string | null>(null);
  /** The model just added: offered to use, never switched to silently. */
  const [added, setAdded] = useState<ModelInfo | null>(null);
  const [removing, setRemoving] = useState<ModelInfo | null>(null);

  const add = async () => {
    setAddError(null);
    setAdded(null);
    const p = path.trim();
    const relative = relativePathProblem(p, '/models/llava-onevision-qwen2-0.5b-ov-hf');
    if (relative) return setAddError(relative);
    const known = state.models.find((m) => samePath(m.path, p));
    if (known) return setAddError(`This folder is already in the list as “${known.name}” (${SOURCE_LABEL[known.source]}).`);
    setAdding(true);
    try {
      const before = new Set(state.models.map((m) => m.id));
      const m = await state.addLocal(p);
      setPath('');
      if (before.has(m.id)) setAddError(`This folder is already in the list as “${m.name}”.`);
      else setAdded(m);
    } catch (e) {
      setAddError(errorMessage(e));
    } finally {
      setAdding(false);
    }
  };

  const installedRepos = new Set(state.models.map((m) => m.name));

  return (
    <Dialog labelledBy="models-h" onClose={onClose}>
        <header className="modal-head">
          <h2 id="models-h">Models</h2>
          <button className="icon-btn" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </header>

        <section>
          <h3 className="section-title">Installed</h3>
          <ul className="model-list">
            {state.models.map((m) => {
              const active = activeId === m.id || (activeId === null && m.source === 'embedded');
              const q = state.quantizing[m.id];
              const copying = q?.state === 'running';
              return (
                <li key={m.id} className={active ? 'model active' : 'model'}>
                  <div className="model-main">
                    <div className="model-name">
                      {m.name} <span className={`tag tag-${m.source}`}>{SOURCE_LABEL[m.source]}</span>
                      {active && <span className="tag tag-on">in use</span>}
                    </div>
                    <div className="model-meta">
                      {m.architecture} · {formatParams(m.parameters)} params · <span className={`tag tag-precision${m.precision === '4-bit' ? ' tag-q4' : ''}`}>{m.precision}</span> ·{' '}
                      {m.video ? `frames by rate (${m.video.fps} fps, at most ${m.video.maxFrames}), two per token grid` : `${m.tokensPerFrame} tokens/frame`}
                    </div>
                    <div className="model-meta">
                      {formatBytes(m.diskBytes)} on disk · {formatBytes(m.gpuBytes)} of GPU memory for the weights
                    </div>
                    <p className="model-desc">{m.description}</p>
                    <code className="model-path">{m.path}</code>
                    {q && <QuantizeStatus view={quantizeView(q)} label={`4-bit copy of ${m.name}`} />}
                  </div>
                  <div className="model-actions">
                    <button className="btn btn-small" disabled={active} onClick={() => onUse({ modelId: m.source === 'embedded' ? null : m.id })}>
                      Use
                    </button>
                    {m.precision !== '4-bit' && !m.video && (copying ? (
                      <button className="btn btn-small" onClick={() => void state.cancelQuantize(m.id)}>
                        Cancel copy
                      </button>
                    ) : (
                      <button className="btn btn-small" title="Quantize the language model to 4 bits (AWQ) into a new model in the app's data folder; this model stays as it is" onClick={() => void state.quantize(m.id, 'awq')}>
                        Make a 4-bit copy
                      </button>
                    ))}
                    {m.source !== 'embedded' && (
                      <button className="btn btn-small btn-ghost" title="Remove from this list; the folder and its files stay on disk" onClick={() => setRemoving(m)}>
                        Remove
                      </button>
                    )}
                  </div>
                </li>
              );
            })}
          </ul>
        </section>

        <section>
          <h3 className="section-title">Add a local Hugging Face folder</h3>
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              if (path.trim()) void add();
            }}
          >
            <label htmlFor="model-path" className="sr-only">
              Model folder path
            </label>
            <input
              id="model-path"
              className="input"
              placeholder="/models/llava-onevision-qwen2-0.5b-ov-hf"
              value={path}
              spellCheck={false}
              onChange={(e) => setPath(e.target.value)}
            />
            <button className="btn" type="submit" disabled={!path.trim() || adding}>
              {adding ? 'Checking…' : 'Add'}
            </button>
          </form>
          <p className="hint">A folder with config.json, *.safetensors, tokenizer.json and preprocessor_config.json (LLaVA-OneVision / LLaVA-Video, Qwen2.5-VL, Qwen3-VL; HF format).</p>
          {addError && (
            <p className="form-error" role="alert">
              {addError}
            </p>
          )}
          {added && (
            <p className="form-ok" role="status">
              Added “{added.name}”.{' '}
              {added.id !== activeId && (
                <button
                  className="btn btn-small"
                  onClick={() => {
                    onUse({ modelId: added.id });
                    setAdded(null);
                  }}
                >
                  Use it
                </button>
              )}
            </p>
          )}
        </section>

        <section>
          <h3 className="section-title">Download from the Hugging Face Hub</h3>
          {state.catalog.length === 0 ? (
            <p className="empty">No downloadable models listed.</p>
          ) : (
            <ul className="model-list">
              {state.catalog.map((c) => {
                const d = state.downloads[c.repo];
                const running = d && (d.state === 'running' || d.state === 'verifying');
                const share = d && d.totalBytes > 0 ? d.receivedBytes / d.totalBytes : 0;
                return (
                  <li key={c.repo} className="model">
                    <div className="model-main">
                      <div className="model-name">
                        {c.name} <span className="muted">{c.repo}</span>
                      </div>
                      <div className="model-meta">
                        {formatBytes(c.sizeBytes)}
                        {c.parameters ? ` · ${formatParams(c.parameters)} params` : ''}
                      </div>
                      <p className="model-desc">{c.description}</p>
                      {d && (
                        <div className="dl" role="status" aria-live="polite">
                          <div className="bar" role="progressbar" aria-label={`Download ${c.repo}`} aria-valuenow={Math.round(share * 100)} aria-valuemin={0} aria-valuemax={100}>
                            <div className={`bar-fill${d.state === 'error' ? ' err' : ''}`} style={{ width: `${share * 100}%` }} />
                          </div>
                          <span className="muted">
                            {d.state === 'running' && `${d.file || 'starting'} · ${formatBytes(d.receivedBytes)} / ${formatBytes(d.totalBytes)}`}
                            {d.state === 'verifying' && `Verifying ${d.file} (sha256)…`}
                            {d.state === 'done' && 'Done'}
                            {d.state === 'cancelled' && 'Cancelled (resumes where it stopped)'}
                            {d.state === 'error' && `Failed: ${d.error ?? 'unknown error'}`}
                          </span>
                        </div>
                      )}
                    </div>
                    <div className="model-actions">
                      {running ? (
                        <button className="btn btn-small" onClick={() => void state.cancel(c.repo)}>
                          Cancel
                        </button>
                      ) : (
                        <button className="btn btn-small" disabled={installedRepos.has(c.name) || d?.state === 'done'} onClick={() => void state.download(c.repo)}>
                          {d?.state === 'cancelled' || d?.state === 'error' ? 'Resume' : 'Download'}
                        </button>
                      )}
                    </div>
                  </li>
                );
              })}
            </ul>
          )}
        </section>
      {removing && (
        <ConfirmDialog
          title="Remove this model from the list?"
          body={<p>“{removing.name}” leaves the list; its folder and files stay on disk ({removing.path}).</p>}
          confirm="Remove"
          onConfirm={() => void state.remove(removing.id)}
          onCancel={() => setRemoving(null)}
        />
      )}
    </Dialog>
  );
}

/** A 4-bit copy's progress under its source model. */
function QuantizeStatus({ view, label }: { view: ReturnType<typeof quantizeView>; label: string }) {
  return (
    <div className="dl" role="status" aria-live="polite">
      {view.running && (
        <div className="bar" role="progressbar" aria-label={label} aria-valuenow={Math.round(view.share * 100)} aria-valuemin={0} aria-valuemax={100}>
          <div className="bar-fill" style={{ width: `${view.share * 100}%` }} />
        </div>
      )}
      <span className="muted">{view.text}</span>
    </div>
  );
}
