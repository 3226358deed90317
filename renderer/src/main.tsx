import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { getApi } from './api/index.ts';
import { errorMessage } from './lib/format.ts';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
try {
  root.render(<App api={getApi()} />);
} catch (e) {
  root.render(
    <div className="fatal" role="alert">
      <h1>SparseVILA Desktop could not connect</h1>
      <p>{errorMessage(e)}</p>
      <p>
        In a browser, open the exact address that <code>npx sparsevila serve</code> printed (it carries the access
        token).
      </p>
    </div>,
  );
}
