// sparsevila's decode retrieval in Settings: the mode, and its one parameter when it has one.
import type { RetrievalChoice } from '../../../electron/contract.ts';
import type { RetrievalMode } from '../../../engine/core/sparse/retrieval-settings.ts';
import { checkRetrievalParam, RETRIEVAL_OPTIONS, retrievalParam } from '../lib/retrieval-choice.ts';
import { CheckedInput } from './CheckedInput.tsx';

export function RetrievalSetting(props: { value: RetrievalChoice; disabled: boolean; onChange(r: RetrievalChoice): void }) {
  const { value, disabled, onChange } = props;
  const option = RETRIEVAL_OPTIONS.find((o) => o.id === value.mode);
  const param = retrievalParam(value);
  return (
    <>
      <div className={disabled ? 'field disabled' : 'field'}>
        <label htmlFor="set-retrieval">Decode retrieval (which visual tokens each answer token reads)</label>
        <select id="set-retrieval" className="input" value={value.mode} disabled={disabled}
          onChange={(e) => onChange({ mode: e.target.value as RetrievalMode, value: null })}>
          {RETRIEVAL_OPTIONS.map((o) => (
            <option key={o.id} value={o.id}>
              {o.label}
            </option>
          ))}
        </select>
        {option && <p className="hint">{option.hint}</p>}
      </div>
      {param && (
        <div className={disabled ? 'field inline disabled' : 'field inline'}>
          <label htmlFor="set-retrieval-param">{param.label}</label>
          <CheckedInput id="set-retrieval-param" value={param.value} step={param.step}
            check={(raw) => checkRetrievalParam(value.mode, raw)} onValue={(v) => onChange({ mode: value.mode, value: v })} />
        </div>
      )}
    </>
  );
}
