// Turns that may be between "prepare" and the end of "ask" in the engine at once. The engine keeps at most
// MAX_PREPARED_SESSIONS conversations prepared (engine-host/chat-sessions.ts) and drops the least recently prepared
// one beyond that; letting more turns run would have later preparations drop earlier ones before their question
// arrives. Further turns wait here, first come first served.
export const TURNS_AT_ONCE = 3;

export class TurnSlots {
  private free: number;
  private waiting: { id: string; go: (ok: boolean) => void }[] = [];

  constructor(slots = TURNS_AT_ONCE) {
    this.free = slots;
  }

  /** Resolves true when the turn may start (call the returned release after it), false if it was cancelled waiting. */
  acquire(id: string): Promise<boolean> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(true);
    }
    return new Promise((go) => this.waiting.push({ id, go }));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next.go(true);
    else this.free++;
  }

  /** Ends the wait of a turn still waiting for a slot; false when it was not waiting. */
  cancel(id: string): boolean {
    const at = this.waiting.findIndex((w) => w.id === id);
    if (at < 0) return false;
    this.waiting.splice(at, 1)[0].go(false);
    return true;
  }
}
