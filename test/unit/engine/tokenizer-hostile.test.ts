// Hostile tokenizer files and chat templates (issue 16 item 11): refused or stopped with a clear error, never a hang
// or memory exhaustion.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';
import { loadCheckpoint } from '../../../engine/core/checkpoint/load.ts';
import { ChatTemplate, TextTokenizer } from '../../../engine/core/tokenizer/tokenizer.ts';
import { buildByteBpeTokenizer } from '../../../engine/core/tokenizer/byte-bpe.ts';

const tmp = mkdtempSync(join(tmpdir(), 'tok-hostile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const user = [{ role: 'user' as const, content: 'Hi?' }];

/** Renders and returns the error, with how long it took. */
function renderError(source: string): { message: string; ms: number } {
  const t0 = performance.now();
  try {
    new ChatTemplate(source).render(user, true);
  } catch (e) {
    return { message: (e as Error).message, ms: performance.now() - t0 };
  }
  throw new Error('rendered without an error');
}

describe('tokenizer.json', () => {
  it('an unknown tokenizer model type is refused, naming the file', () => {
    const d = join(tmp, 'm');
    makeCheckpoint(d, { preset: 'tiny' });
    const file = join(d, 'tokenizer.json');
    const json = JSON.parse(readFileSync(file, 'utf8'));
    json.model.type = 'MysteryModel';
    writeFileSync(file, JSON.stringify(json));
    expect(() => loadCheckpoint(d)).toThrow(/tokenizer\.json: tokenizer model type "MysteryModel" is not supported \(known: BPE, WordPiece, Unigram\)/);
    const j = buildByteBpeTokenizer().json as { model: Record<string, unknown> };
    expect(() => TextTokenizer.fromJson({ ...j, model: { ...j.model, type: 'X' } })).toThrow(/tokenizer model type "X" is not supported/);
    expect(() => TextTokenizer.fromJson({ ...j, model: null })).toThrow(/tokenizer\.json has no "model" object/);
  });
});

describe('chat templates render within limits', () => {
  it('range(100000000) is refused instead of building the list', () => {
    const { message, ms } = renderError('{% for i in range(100000000) %}x{% endfor %}');
    expect(message).toMatch(/chat template: range\(\) of 100000000 items is over the limit/);
    expect(ms).toBeLessThan(1000);
  });

  it('nested loops stop at the step limit', () => {
    const { message, ms } = renderError('{% for i in range(5000) %}{% for j in range(5000) %}{% endfor %}{% endfor %}');
    expect(message).toMatch(/chat template: stopped after \d+ (steps|ms)/);
    expect(ms).toBeLessThan(5000);
  });

  it('output growing without bound stops at the size limit', () => {
    const src = "{% set ns = namespace(s='xxxxxxxxxxxxxxxx') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}";
    const { message } = renderError(src);
    expect(message).toMatch(/chat template: output over \d+ characters/);
  });

  it('ordinary templates and their helpers still work', () => {
    const t = new ChatTemplate("{% for m in messages %}{{ m['role'] }}:{{ m['content'] }}{% endfor %}{% for i in range(3) %}{{ i }}{% endfor %}{{ true }}{% if add_generation_prompt %}>{% endif %}");
    expect(t.render(user, true)).toBe('user:Hi?012true>');
    expect(() => new ChatTemplate("{{ raise_exception('no system role') }}").render(user, true)).toThrow(/no system role/);
    expect(new ChatTemplate("{{ strftime_now('%Y') }}").render(user, false)).toBe(String(new Date().getFullYear()));
  });
});
