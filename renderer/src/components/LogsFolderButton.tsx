// "Open logs folder": the desktop app opens it in the file manager; serve mode (a browser cannot open local folders)
// shows its path instead.
import { useContext, useState } from 'react';
import { ApiContext } from '../state/api.ts';

export function LogsFolderButton() {
  const api = useContext(ApiContext);
  const [note, setNote] = useState<string | null>(null);
  if (!api) return null;
  const open = async () => {
    try {
      const r = await api.call('app.openLogs', {});
      setNote(r.opened ? null : `Log files: ${r.path}`);
    } catch (err) {
      setNote((err as Error).message);
    }
  };
  return (
    <div className="field">
      <button className="btn btn-small" onClick={() => void open()}>
        Open logs folder
      </button>
      {note && <p className="hint">{note}</p>}
    </div>
  );
}
