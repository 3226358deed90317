import { describe, expect, it } from 'vitest';
import { CENTER_MIN, CHAT_MIN_HEIGHT, columns, playerHeight } from '../../../renderer/src/lib/layout.ts';
import { followsAfterScroll, isNearBottom, scrollLeftToShow } from '../../../renderer/src/lib/scroll.ts';

describe('player height', () => {
  it('keeps the user\'s height when the window has room', () => {
    expect(playerHeight(300, 940)).toBe(300);
  });
  it('shrinks on a short window so the chat keeps its room, never below 120 px', () => {
    expect(playerHeight(300, 700)).toBe(700 - 40 - CHAT_MIN_HEIGHT);
    expect(playerHeight(300, 400)).toBe(120);
  });
});

describe('panel columns (issue 16 item 8)', () => {
  it('at 1024 px both panels fit beside a chat of at least CENTER_MIN', () => {
    const c = columns(1024, 264, 520, true, true);
    expect(1024 - c.left - c.right - 10).toBeGreaterThanOrEqual(CENTER_MIN);
  });
  it('a closed panel takes no room and gives it to the others', () => {
    const open = columns(1024, 264, 520, true, true);
    const noLibrary = columns(1024, 264, 520, false, true);
    expect(noLibrary.left).toBe(0);
    expect(noLibrary.template.startsWith('0px 0px ')).toBe(true);
    expect(noLibrary.right).toBeGreaterThan(open.right);
    const none = columns(1024, 264, 520, false, false);
    expect(none.template).toBe('0px 0px minmax(0, 1fr) 0px 0px');
  });
});

describe('keeping things in view', () => {
  it('the message list follows only a reader at the bottom', () => {
    expect(isNearBottom(1000, 590, 400)).toBe(true);
    expect(isNearBottom(1000, 300, 400)).toBe(false);
  });
  it('our own scroll event keeps following even when text landed below it; a move up by the reader stops it', () => {
    // We scrolled to 600 of 1000; 69 px more arrived before the event: not near the end, but nobody moved up.
    expect(followsAfterScroll(true, 590, 1069, 600, 400)).toBe(true);
    expect(followsAfterScroll(true, 600, 1069, 300, 400)).toBe(false);
    expect(followsAfterScroll(false, 300, 1000, 400, 400)).toBe(false);
    expect(followsAfterScroll(false, 300, 1000, 595, 400)).toBe(true);
  });
  it('the filmstrip scrolls to a current frame out of view, and not when it is in view', () => {
    expect(scrollLeftToShow(100, 80, 0, 600)).toBeNull();
    expect(scrollLeftToShow(1200, 80, 0, 600)).toBe(1200 + 40 - 300);
    expect(scrollLeftToShow(50, 80, 400, 600)).toBe(0);
  });
});
