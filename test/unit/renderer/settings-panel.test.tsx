// Settings say only what applies: under dense there is nothing to compare against (the checkbox is off and disabled)
// and the sparsity fields read as disabled.
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { DEFAULT_SETTINGS, type Settings } from '../../../electron/contract.ts';
import { SettingsPanel } from '../../../renderer/src/components/SettingsPanel.tsx';

const panel = (s: Partial<Settings>) => renderToStaticMarkup(
  <SettingsPanel settings={{ ...DEFAULT_SETTINGS, ...s }} engine={null} models={[]} estimate={null} onChange={() => {}} onManageModels={() => {}} />,
);

describe('settings panel', () => {
  it('dense: "measure dense" is off, disabled and says why; no how-it-is-measured note', () => {
    const html = panel({ policy: 'dense', measureDense: true });
    expect(html).toMatch(/<label class="check disabled"[^>]*><input type="checkbox" disabled=""/);
    expect(html).not.toMatch(/type="checkbox" checked=""/);
    expect(html).toContain('not under dense, the baseline itself');
    expect(html).not.toContain('one-frame warm-up');
    expect(html).toMatch(/class="field inline disabled"><label for="set-floor"/);
  });
  it('sparsevila: the checkbox works and the note says how the speedup is measured', () => {
    const html = panel({ policy: 'sparsevila', measureDense: true });
    expect(html).toMatch(/type="checkbox" checked=""/);
    expect(html).toContain('one-frame warm-up');
  });
});

describe('conversation history', () => {
  it('follow-up questions see the earlier turns by default; the paper protocol is a setting named in plain words', () => {
    expect(DEFAULT_SETTINGS.history).toBe('text');
    const html = panel({});
    expect(html).toMatch(/<option value="text" selected="">Earlier questions and answers \(like any chat\)<\/option>/);
    expect(html).toContain('None: each question on its own (the SparseVILA paper&#x27;s evaluation protocol)');
    expect(html).toContain('can refer to earlier answers');
    expect(panel({ history: 'none' })).toContain('has nothing to refer to');
  });
});

describe('memory bar', () => {
  it('loaded weights are labelled and not drawn against the free memory', async () => {
    const { MemBar } = await import('../../../renderer/src/components/SettingsPanel.tsx');
    const e = { weightsBytes: 4 * 2 ** 30, kvBytes: 2 ** 30, activationBytes: 0, availableBytes: 2 * 2 ** 30, fits: true, message: '' };
    const loaded = renderToStaticMarkup(<MemBar e={{ ...e, weightsLoaded: true }} />);
    expect(loaded).toContain('weights 4.0 GiB (loaded)');
    expect(loaded).toContain('class="mem-w" style="width:0%"');
    expect(loaded).toContain('of 2.0 GiB free');
    expect(renderToStaticMarkup(<MemBar e={e} />)).not.toContain('(loaded)');
  });
});

describe('decode retrieval', () => {
  it('offers every mode; the parameter field follows the mode; off unless the policy retrieves', async () => {
    const { RETRIEVAL_MODES } = await import('../../../engine/core/sparse/retrieval-settings.ts');
    const html = panel({ policy: 'sparsevila', retrieval: { mode: 'refresh', value: 1 } });
    for (const m of RETRIEVAL_MODES) expect(html).toContain(`<option value="${m}"`);
    expect(html).toMatch(/<option value="refresh" selected="">/);
    expect(html).toContain('Generated tokens between re-retrievals');
    expect(html).toMatch(/id="set-retrieval-param"[^>]*value="1"/);
    expect(panel({ policy: 'sparsevila', retrieval: { mode: 'per-layer', value: null } })).not.toContain('set-retrieval-param');
    expect(panel({ policy: 'sparsevila', retrieval: { mode: 'shared', value: null } })).toMatch(/First layers that read every token[\s\S]*id="set-retrieval-param"[^>]*value="0"/);
    expect(panel({ policy: 'sparsevila', retrieval: { mode: 'pages', value: null } })).toMatch(/id="set-retrieval-param"[^>]*value="16"/);
    expect(panel({ policy: 'dense' })).toMatch(/<select id="set-retrieval" class="input" disabled=""/);
  });

  it('says why it refuses a typed parameter, by the engine\'s rules', async () => {
    const { checkRetrievalParam } = await import('../../../renderer/src/lib/retrieval-choice.ts');
    expect(checkRetrievalParam('top-p', '0.8')).toEqual({ ok: true, value: 0.8 });
    expect(checkRetrievalParam('refresh', '4')).toEqual({ ok: true, value: 4 });
    expect(checkRetrievalParam('top-p', '1.5')).toMatchObject({ ok: false, error: expect.stringMatching(/mass must be in \(0, 1\]/) });
    expect(checkRetrievalParam('refresh', '2.5')).toMatchObject({ ok: false, error: expect.stringMatching(/refreshEvery must be an integer/) });
    expect(checkRetrievalParam('pages', '')).toMatchObject({ ok: false, error: 'Retrieval: type a number.' });
    expect(checkRetrievalParam('fastv', '99999')).toMatchObject({ ok: false, error: expect.stringMatching(/above 4096/) });
  });
});

describe('vision tower precision', () => {
  it('16-bit by default; 8-bit is offered with what it does (not for Qwen-VL: rate-sampling.test.tsx)', () => {
    const html = panel({});
    expect(html).toMatch(/<select id="set-vision"[^>]*><option value="16bit" selected="">/);
    expect(html).toMatch(/<option value="8bit">8-bit \(W8A8/);
    expect(html).toContain('CPU backend only for now');
    expect(panel({ visionPrecision: '8bit' })).toMatch(/<option value="8bit" selected="">/);
  });
});
