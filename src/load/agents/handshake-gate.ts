import Queue from 'yocto-queue';

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
  /**
   * A thread's limit unless told otherwise: with 3,000 agents in one thread it brought a reset back in
   * 14.7-17.1 s against 123-177 s, with no failed handshake, and beside client-go at 500 kubelets it left
   * the apiserver's CPU in the storm at 0.93-0.94x client-go's (bench/README.md).
   */
  static readonly defaultLimit = 200;

  private inFlight = 0;
  /** A linked queue: an array's shift() copies the rest, and tens of thousands of dials may wait here in a storm. */
  private readonly waiting = new Queue<() => boolean>();

  constructor(readonly limit: number) {}

  /**
   * Calls `dial` now if fewer than `limit` handshakes are in flight, or once one ends. `dial` says whether it started a
   * handshake (false: it was no longer wanted, and its place goes on); each started is paired with one `ended()`.
   */
  admit(dial: () => boolean): void {
    if (this.inFlight >= this.limit) {
      this.waiting.enqueue(dial);
      return;
    }
    this.inFlight++;
    if (!dial()) this.ended();
  }

  /** A handshake finished or failed: its place goes to the dial that waited longest and still wants it. */
  ended(): void {
    // A loop, not a call per dial given up: a fleet stopping gives up thousands at once.
    for (let next = this.waiting.dequeue(); next; next = this.waiting.dequeue()) if (next()) return;
    this.inFlight--;
  }
}
