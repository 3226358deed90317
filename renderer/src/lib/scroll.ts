// Keeping things in view: a list that follows what is added at its end, and a strip that keeps its current item shown.

/** Within `slack` px of the end: the reader has not scrolled up, so new content should stay in view. */
export function isNearBottom(scrollHeight: number, scrollTop: number, clientHeight: number, slack = 40): boolean {
  return scrollHeight - scrollTop - clientHeight < slack;
}

/** The strip's scrollLeft that shows an item (centred when it was out of view), or null when it is already in view. */
export function scrollLeftToShow(itemLeft: number, itemWidth: number, scrollLeft: number, viewWidth: number): number | null {
  if (itemLeft >= scrollLeft && itemLeft + itemWidth <= scrollLeft + viewWidth) return null;
  return Math.max(0, Math.round(itemLeft + itemWidth / 2 - viewWidth / 2));
}
