import { sleep } from './wait.js';

/**
 * A token bucket like client-go's flowcontrol.NewTokenBucketRateLimiter: `burst`
 * requests at once, then `qps` per second. qps <= 0 means no limit.
 */
export class TokenBucket {
  private tokens: number;
  private last = performance.now();

  constructor(
    private readonly qps: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  async take(signal?: AbortSignal): Promise<void> {
    if (this.qps <= 0) return;
    for (;;) {
      const now = performance.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await sleep(((1 - this.tokens) / this.qps) * 1000, signal);
    }
  }
}
