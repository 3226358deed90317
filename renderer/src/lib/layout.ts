// Window-size rules for the panels that the user can resize.

/** Room kept under the player: the filmstrip (~95 px), the question box (~110 px) and a few messages. */
export const CHAT_MIN_HEIGHT = 420;
/** The app bar above the centre column. */
const TOP_BAR = 40;

/** The chat's minimum width, and the panels' smallest widths. */
export const CENTER_MIN = 380;
const LEFT_MIN = 200;
const RIGHT_MIN = 320;
const SPLITTER = 5;

export interface Columns {
  left: number;
  right: number;
  /** The app grid's columns: library, splitter, centre, splitter, side panel (a closed panel takes no room). */
  template: string;
}

/** Panel widths for this window: the user's choices, closed panels take no room, the chat never below CENTER_MIN. */
export function columns(windowWidth: number, leftW: number, rightW: number, leftOpen: boolean, rightOpen: boolean): Columns {
  const left = leftOpen ? Math.max(LEFT_MIN, Math.min(leftW, windowWidth - CENTER_MIN - (rightOpen ? RIGHT_MIN : 0) - 2 * SPLITTER)) : 0;
  const right = rightOpen ? Math.max(RIGHT_MIN, Math.min(rightW, windowWidth - left - CENTER_MIN - 2 * SPLITTER)) : 0;
  const side = (w: number, open: boolean) => (open ? `${w}px ${SPLITTER}px` : '0px 0px');
  return { left, right, template: `${side(left, leftOpen)} minmax(0, 1fr) ${rightOpen ? `${SPLITTER}px ${right}px` : '0px 0px'}` };
}

/** The player's height: the user's choice, but never so tall that the chat below it has no room (short windows). */
export function playerHeight(preferred: number, windowHeight: number): number {
  return Math.max(120, Math.min(preferred, windowHeight - TOP_BAR - CHAT_MIN_HEIGHT));
}
