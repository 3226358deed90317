// Keeping things in view: a list that follows what is added at its end, and a strip that keeps its current item shown.

/** Within `slack` px of the end: the reader has not scrolled up, so new content should stay in view. */
export function isNearBottom(scrollHeight: number, scrollTop: number, clientHeight: number, slack = 40): boolean {
  return scrollHeight - scrollTop - clientHeight < slack;
}

/**
 * Whether the list keeps following its end after a scroll event. Only a move up (the reader's) can stop it: the event
 * of our own scroll to the end arrives a frame later, when more text may already have landed below, and reading the
 * distance then would stop following an answer nobody scrolled away from (seen in CI: 69 px, one stats line).
 */
export function followsAfterScroll(following: boolean, previousTop: number, scrollHeight: number, scrollTop: number, clientHeight: number): boolean {
  const nearBottom = isNearBottom(scrollHeight, scrollTop, clientHeight);
  return scrollTop < previousTop - 1 ? nearBottom : following || nearBottom;
}

/** The strip's scrollLeft that shows an item (centred when it was out of view), or null when it is already in view. */
export function scrollLeftToShow(itemLeft: number, itemWidth: number, scrollLeft: number, viewWidth: number): number | null {
  if (itemLeft >= scrollLeft && itemLeft + itemWidth <= scrollLeft + viewWidth) return null;
  return Math.max(0, Math.round(itemLeft + itemWidth / 2 - viewWidth / 2));
}
