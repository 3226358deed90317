// A number field that applies only values its check accepts and says why it refuses the others (never clamps).
import { useEffect, useState } from 'react';
import type { Checked } from '../lib/frame-sampling.ts';

/** A number field that applies only values its check accepts and says why it refuses the others. */
export function CheckedInput(props: { id: string; value: number; step?: number; check(raw: string): Checked; onValue(v: number): void }) {
  const { id, value, step = 1, check, onValue } = props;
  const [raw, setRaw] = useState(String(value));
  const [error, setError] = useState<string | null>(null);
  // A value changed elsewhere (a preset, another window) replaces what is typed unless that is being fixed.
  useEffect(() => {
    setRaw((r) => (check(r).ok ? String(value) : r));
    // eslint-disable-next-line react-hooks/exhaustive-deps -- check is a fresh closure each render
  }, [value]);
  return (
    <span className="checked-input">
      <input
        id={id}
        className={error ? 'input num invalid' : 'input num'}
        type="number"
        step={step}
        value={raw}
        aria-invalid={error !== null}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => {
          setRaw(e.target.value);
          const c = check(e.target.value);
          setError(c.ok ? null : c.error);
          if (c.ok && c.value !== value) onValue(c.value);
        }}
      />
      {error && (
        <span id={`${id}-error`} className="form-error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}
