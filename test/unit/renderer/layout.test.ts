import { describe, expect, it } from 'vitest';
import { CHAT_MIN_HEIGHT, playerHeight } from '../../../renderer/src/lib/layout.ts';

describe('player height', () => {
  it('keeps the user\'s height when the window has room', () => {
    expect(playerHeight(300, 940)).toBe(300);
  });
  it('shrinks on a short window so the chat keeps its room, never below 120 px', () => {
    expect(playerHeight(300, 700)).toBe(700 - 40 - CHAT_MIN_HEIGHT);
    expect(playerHeight(300, 400)).toBe(120);
  });
});
