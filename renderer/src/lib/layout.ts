// Window-size rules for the panels that the user can resize.

/** Room kept under the player: the filmstrip (~95 px), the question box (~110 px) and a few messages. */
export const CHAT_MIN_HEIGHT = 420;
/** The app bar above the centre column. */
const TOP_BAR = 40;

/** The player's height: the user's choice, but never so tall that the chat below it has no room (short windows). */
export function playerHeight(preferred: number, windowHeight: number): number {
  return Math.max(120, Math.min(preferred, windowHeight - TOP_BAR - CHAT_MIN_HEIGHT));
}
