/**
 * client-go's reflector backoff: wait.Backoff{800ms, factor 2, jitter 1.0, cap 30s}
 * behind DelayWithReset(2 min). Every step waits the current duration plus up to as
 * much again; the duration doubles to the cap; two minutes after the last reset the
 * next step starts over from the initial duration. One per reflector, shared by its
 * relists and by the backoffs of watches refused at start, as client-go's delayHandler is.
 */
export class ClientGoBackoff {
  private durationMs = 0;
  private steps = 0;
  private lastStart: number;

  constructor(
    private readonly initialMs = 800,
    private readonly capMs = 30_000,
    private readonly resetMs = 120_000,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {
    this.lastStart = now();
    this.restart();
  }

  private restart(): void {
    this.durationMs = this.initialMs;
    this.steps = Math.ceil(this.capMs / this.initialMs);
  }

  step(): number {
    if (this.now() - this.lastStart > this.resetMs) {
      this.restart();
      this.lastStart = this.now();
    }
    const jitter = (ms: number) => ms + this.random() * ms;
    if (this.steps < 1) return jitter(this.durationMs);
    this.steps--;
    const duration = this.durationMs;
    this.durationMs = duration * 2;
    if (this.durationMs > this.capMs) {
      this.durationMs = this.capMs;
      this.steps = 0;
    }
    return jitter(duration);
  }
}
