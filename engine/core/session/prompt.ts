// The prompt, split for multi-turn KV reuse: [prefix: template head + <video> expanded + time instruction]
// [turn: question + template tail]. The prefix is prefilled once and retained; each turn's segment is evicted.
import { videoTokenCount, type LlavaOnevisionConfig } from '../models/llava-onevision-config.ts';
import type { ChatTemplate, TextTokenizer } from '../tokenizer/tokenizer.ts';

/** LLaVA-Video's time instruction. */
export function timeInstruction(durationSec: number, frameTimes: readonly number[]): string {
  const times = frameTimes.map((t) => `${t.toFixed(2)}s`).join(',');
  return `The video lasts for ${durationSec.toFixed(2)} seconds, and ${frameTimes.length} frames are uniformly sampled from it. `
    + `These frames are located at ${times}.Please answer the following questions related to this video.`;
}

const SENTINEL = '\u0001QUESTION\u0001';

export interface PromptParts {
  /** Prefix ids with the video placeholder expanded to `videoCount` copies of the video token id. */
  prefixIds: Int32Array;
  /** Rows [videoStart, videoStart + videoCount) of the prefix are the video tokens (last one: image_newline). */
  videoStart: number;
  videoCount: number;
  /** Text of the template after the question (e.g. "<|im_end|>\n<|im_start|>assistant\n"). */
  turnTail: string;
}

export interface HistoryTurn {
  question: string;
  answer: string;
}

export class PromptBuilder {
  /** `cfg`: LLaVA-OneVision's, for build(); null where the caller expands the video itself (Qwen-VL). */
  constructor(readonly tok: TextTokenizer, private template: ChatTemplate, private cfg: LlavaOnevisionConfig | null) {}

  /** The chat template around a user turn of [video, instruction + question]: the text before the question (with the
   *  template's video placeholder) and after it. */
  render(instruction: string | null): { head: string; turnTail: string } {
    const text = instruction ? `${instruction}\n${SENTINEL}` : SENTINEL;
    const rendered = this.template.render([{ role: 'user', content: [{ type: 'video' }, { type: 'text', text }] }], true);
    const at = rendered.indexOf(SENTINEL);
    if (at < 0) throw new Error('chat template dropped the question text');
    return { head: rendered.slice(0, at), turnTail: rendered.slice(at + SENTINEL.length) };
  }

  build(frames: number, instruction: string | null): PromptParts {
    if (!this.cfg) throw new Error('PromptBuilder.build expands LLaVA video placeholders; this builder has no LLaVA config');
    const { head, turnTail } = this.render(instruction);
    const headIds = this.tok.encode(head);
    const vid = this.cfg.videoTokenId;
    const pos = headIds.indexOf(vid);
    if (pos < 0) {
      throw new Error(`chat template output has no video token (id ${vid}); the tokenizer must know "<video>" as a special token`);
    }
    if (headIds.indexOf(vid, pos + 1) >= 0) throw new Error('chat template produced more than one video placeholder');
    const n = videoTokenCount(this.cfg, frames);
    const prefix = new Int32Array(headIds.length - 1 + n);
    prefix.set(headIds.slice(0, pos), 0);
    prefix.fill(vid, pos, pos + n);
    prefix.set(headIds.slice(pos + 1), pos + n);
    return { prefixIds: prefix, videoStart: pos, videoCount: n, turnTail };
  }

  /** One turn's segment. History "text" re-states earlier Q&A as ChatML turns before the new question. */
  turnIds(parts: PromptParts, question: string, history: readonly HistoryTurn[] = []): Int32Array {
    if (question.includes(SENTINEL)) throw new Error('question contains a reserved character');
    let text = '';
    if (history.length > 0) {
      const [first, ...rest] = history;
      text = `${first.question}${parts.turnTail}${first.answer}<|im_end|>\n`;
      for (const h of rest) text += `<|im_start|>user\n${h.question}${parts.turnTail}${h.answer}<|im_end|>\n`;
      text += `<|im_start|>user\n${question}${parts.turnTail}`;
    } else {
      text = `${question}${parts.turnTail}`;
    }
    return Int32Array.from(this.tok.encode(text));
  }
}
