// tokenizer.json through @huggingface/tokenizers, and the chat template through @huggingface/jinja.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { Template } from '@huggingface/jinja';
import { renderWithLimits } from './template-render.ts';

export class TokenizerError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'TokenizerError';
  }
}

function readJson(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new TokenizerError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** Model types @huggingface/tokenizers implements; an unknown one would otherwise be guessed from the vocabulary. */
const MODEL_TYPES = ['BPE', 'WordPiece', 'Unigram'];

function checkModelType(json: Record<string, unknown>): void {
  const model = json.model as Record<string, unknown> | null | undefined;
  if (!model || typeof model !== 'object' || Array.isArray(model)) throw new TokenizerError('tokenizer.json has no "model" object');
  if (model.type !== undefined && !MODEL_TYPES.includes(model.type as string)) {
    throw new TokenizerError(`tokenizer model type ${JSON.stringify(model.type)} is not supported (known: ${MODEL_TYPES.join(', ')})`);
  }
}

export class TextTokenizer {
  private constructor(private tok: Tokenizer, readonly config: Record<string, unknown>) {}

  static fromJson(json: Record<string, unknown>, config: Record<string, unknown> = {}): TextTokenizer {
    checkModelType(json);
    return new TextTokenizer(new Tokenizer(json, config), config);
  }

  static load(dir: string): TextTokenizer {
    const path = join(dir, 'tokenizer.json');
    if (!existsSync(path)) throw new TokenizerError(`${dir}: tokenizer.json is missing (needed to read and write text)`);
    const json = readJson(path);
    try {
      checkModelType(json);
    } catch (e) {
      throw new TokenizerError(`${path}: ${(e as Error).message}`);
    }
    const cfgPath = join(dir, 'tokenizer_config.json');
    const config = existsSync(cfgPath) ? readJson(cfgPath) : {};
    try {
      return new TextTokenizer(new Tokenizer(json, config), config);
    } catch (e) {
      throw new TokenizerError(`${path}: cannot build the tokenizer (${(e as Error).message})`);
    }
  }

  /** Text -> ids. Special tokens written in the text (<|im_start|>, <video>) become their ids; no BOS/EOS added. */
  encode(text: string): number[] {
    return this.tok.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: readonly number[], skipSpecial = true): string {
    if (ids.length === 0) return '';
    return this.tok.decode([...ids], { skip_special_tokens: skipSpecial });
  }

  tokenId(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.tok.id_to_token(id);
  }
}

export type ChatContent = string | ({ type: 'text'; text: string } | { type: 'video' } | { type: 'image' })[];
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: ChatContent;
}

export class ChatTemplate {
  private template: Template;

  constructor(readonly source: string, private extra: Record<string, unknown> = {}) {
    try {
      // {% generation %} blocks only mark assistant text for training masks; the renderer need not know them.
      this.template = new Template(source.replace(/\{%-?\s*(end)?generation\s*-?%\}/g, ''));
    } catch (e) {
      throw new TokenizerError(`chat template does not parse (${(e as Error).message})`);
    }
  }

  /** The template from tokenizer_config.json's chat_template, chat_template.json or chat_template.jinja. */
  static load(dir: string, tokenizerConfig: Record<string, unknown>): ChatTemplate | null {
    let src: unknown = tokenizerConfig.chat_template;
    if (src === undefined && existsSync(join(dir, 'chat_template.json'))) src = readJson(join(dir, 'chat_template.json')).chat_template;
    if (src === undefined && existsSync(join(dir, 'chat_template.jinja'))) src = readFileSync(join(dir, 'chat_template.jinja'), 'utf8');
    if (Array.isArray(src)) src = (src.find((t: { name?: string }) => t.name === 'default') as { template?: string } | undefined)?.template;
    if (src === undefined || src === null) return null;
    if (typeof src !== 'string') throw new TokenizerError(`${dir}: chat_template must be a string`);
    const tokenText = (v: unknown) => (typeof v === 'string' ? v : (v as { content?: string } | null)?.content ?? '');
    return new ChatTemplate(src, { bos_token: tokenText(tokenizerConfig.bos_token), eos_token: tokenText(tokenizerConfig.eos_token) });
  }

  render(messages: ChatMessage[], addGenerationPrompt: boolean): string {
    return renderWithLimits(this.template, { ...this.extra, messages, add_generation_prompt: addGenerationPrompt });
  }
}

/** The Qwen2 ChatML template with content lists (video/image placeholders first, then text), as LLaVA-OneVision ships. */
export const QWEN2_CHATML_TEMPLATE =
  "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
  + "{{ '<|im_start|>' + message['role'] + '\\n' }}"
  + "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
  + "{% for content in message['content'] %}{% if content['type'] == 'image' %}{{ '<image>\\n' }}{% elif content['type'] == 'video' %}{{ '<video>\\n' }}{% endif %}{% endfor %}"
  + "{% for content in message['content'] %}{% if content['type'] == 'text' %}{{ content['text'] }}{% endif %}{% endfor %}{% endif %}"
  + "{{ '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Qwen2.5-VL / Qwen3-VL's chat template in the part the chat loop uses (system prompt, the video as
 *  <|vision_start|><|video_pad|><|vision_end|> before the text), for synthetic Qwen-VL models without files. */
export const QWEN_VL_CHAT_TEMPLATE =
  "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
  + "{{ '<|im_start|>' + message['role'] + '\\n' }}"
  + "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
  + "{% for content in message['content'] %}{% if content['type'] == 'video' %}{{ '<|vision_start|><|video_pad|><|vision_end|>' }}"
  + "{% elif content['type'] == 'text' %}{{ content['text'] }}{% endif %}{% endfor %}{% endif %}"
  + "{{ '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
