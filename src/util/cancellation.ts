/**
 * A stop for thousands of waiters at once. An AbortSignal is an EventTarget, which
 * walks its whole listener list on every add: a fleet adding and removing one
 * listener per request and per backoff spent more CPU there than on its requests
 * (bench/README.md). A Set adds and removes in constant time.
 */
export class Cancellation {
  #stopped = false;
  readonly #hooks = new Set<() => void>();

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Runs `hook` when stopped (at once if already); the function returned unregisters it. */
  onStop(hook: () => void): () => void {
    if (this.#stopped) {
      hook();
      return () => undefined;
    }
    this.#hooks.add(hook);
    return () => this.#hooks.delete(hook);
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const hook of this.#hooks) hook();
    this.#hooks.clear();
  }

  /** Waits `ms`, or less if stopped meanwhile; the caller looks at `stopped`. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        unhook();
        resolve();
      }, ms);
      const unhook = this.onStop(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
