/**
 * The TLS handshakes one thread's agents may have in flight at once. A real agent has a node's CPU
 * for its handshakes; thousands of agents sharing one event loop after a reset start a handshake
 * per connection and spare at once, and with the thread saturated many pass client-go's 10 s
 * handshake timeout, fail, and are dialled again: handshakes the apiserver pays for that no real
 * agent would fail. Past the limit a dial, first or spare, waits here before its timeout starts,
 * and is still made: the apiserver completes the handshakes real agents would make, paced to what
 * the runner's thread can finish.
 */
export class HandshakeGate {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  /** Starts `dial` now if fewer than `limit` handshakes are in flight, or once one ends; each start is paired with one `ended()`. */
  admit(dial: () => void): void {
    if (this.inFlight < this.limit) {
      this.inFlight++;
      dial();
    } else this.waiting.push(dial);
  }

  /** A handshake finished or failed: its place goes to the dial that waited longest. */
  ended(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight--;
  }
}
