// Tokenizer (byte-level BPE through @huggingface/tokenizers), the chat template (@huggingface/jinja) and the split prompt.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';
import { loadCheckpoint } from '../../../engine/core/checkpoint/load.ts';
import { ChatTemplate } from '../../../engine/core/tokenizer/tokenizer.ts';
import { PromptBuilder, timeInstruction } from '../../../engine/core/session/prompt.ts';
import { videoTokenCount } from '../../../engine/core/models/llava-onevision-config.ts';

const tmp = mkdtempSync(join(tmpdir(), 'tok-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const dir = join(tmp, 'm');
makeCheckpoint(dir, { preset: 'tiny' });
const ck = loadCheckpoint(dir);
const tok = ck.tokenizer!;

describe('tokenizer and chat template', () => {
  it('encodes any text and decodes it back; special tokens are single ids', () => {
    const s = 'Ünïcode 日本語, emoji 🎬 and  spaces\n<|im_start|>user\n<video>\n';
    const ids = tok.encode(s);
    expect(tok.decode(ids, false)).toBe(s);
    expect(ids.filter((i) => i === tok.tokenId('<video>'))).toHaveLength(1);
    expect(tok.tokenId('<video>')).toBe(ck.config.videoTokenId);
    expect(tok.decode(ids, true)).not.toContain('<|im_start|>');
  });

  it('renders the Qwen2 ChatML template with a video placeholder', () => {
    const out = ck.chatTemplate!.render([{ role: 'user', content: [{ type: 'video' }, { type: 'text', text: 'Hi?' }] }], true);
    expect(out).toBe('<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<video>\nHi?<|im_end|>\n<|im_start|>assistant\n');
  });

  it('reads chat_template.json and tolerates {% generation %} blocks', () => {
    const d = join(tmp, 'tpl');
    makeCheckpoint(d, { preset: 'tiny' });
    const cfgPath = join(d, 'tokenizer_config.json');
    writeFileSync(cfgPath, JSON.stringify({ eos_token: '<|im_end|>' }));
    writeFileSync(join(d, 'chat_template.json'), JSON.stringify({
      chat_template: "{% for m in messages %}<|im_start|>{{ m['role'] }} {% for c in m['content'] %}{% if c['type'] == 'video' %}<video>{% endif %}{% endfor %}{% for c in m['content'] %}{% if c['type'] == 'text' %}{% generation %}{{ '\\n' + c['text'] }}{% endgeneration %}{% endif %}{% endfor %}<|im_end|>{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
    }));
    const t = loadCheckpoint(d).chatTemplate!;
    expect(t.render([{ role: 'user', content: [{ type: 'video' }, { type: 'text', text: 'Q' }] }], true))
      .toBe('<|im_start|>user <video>\nQ<|im_end|><|im_start|>assistant\n');
  });

  it('a broken template is a clear error', () => {
    expect(() => new ChatTemplate('{% for m in messages %}')).toThrow(/chat template does not parse/);
  });

  it('splits the prompt into a retained prefix (video expanded, time instruction) and a turn segment', () => {
    const b = new PromptBuilder(tok, ck.chatTemplate!, ck.config);
    const instr = timeInstruction(12.5, [0, 4.17, 8.33]);
    expect(instr).toBe('The video lasts for 12.50 seconds, and 3 frames are uniformly sampled from it. These frames are located at 0.00s,4.17s,8.33s.Please answer the following questions related to this video.');
    const p = b.build(3, instr);
    const n = videoTokenCount(ck.config, 3);
    expect(n).toBe(3 * 4 + 1);
    expect(p.videoCount).toBe(n);
    const ids = [...p.prefixIds];
    expect(ids.filter((i) => i === ck.config.videoTokenId)).toHaveLength(n);
    expect(ids.slice(p.videoStart, p.videoStart + n).every((i) => i === ck.config.videoTokenId)).toBe(true);
    expect(tok.decode(ids, false).endsWith(`<video>\n${instr}\n`)).toBe(true);
    expect(p.turnTail).toBe('<|im_end|>\n<|im_start|>assistant\n');
    const turn = b.turnIds(p, 'What moves?');
    expect(tok.decode([...turn], false)).toBe('What moves?<|im_end|>\n<|im_start|>assistant\n');
    const hist = b.turnIds(p, 'Q2', [{ question: 'Q1', answer: 'A1' }]);
    expect(tok.decode([...hist], false)).toBe('Q1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n');
  });

  it('a template that drops the video placeholder is reported when building the prompt', () => {
    const d = join(tmp, 'novideo');
    makeCheckpoint(d, { preset: 'tiny' });
    const c = loadCheckpoint(d);
    const b = new PromptBuilder(c.tokenizer!, new ChatTemplate("{{ messages[0]['content'][1]['text'] }}"), c.config);
    expect(() => b.build(2, null)).toThrow(/has no video token/);
  });
});
