/**
 * Releases in the reverse order of acquisition, each registered right where its
 * resource is acquired, so a run that stops anywhere releases exactly what it holds.
 */
export class CleanupStack {
  private readonly steps: { name: string; release: () => Promise<void> | void }[] = [];

  defer(name: string, release: () => Promise<void> | void): void {
    this.steps.push({ name, release });
  }

  get size(): number {
    return this.steps.length;
  }

  /** Runs every release, last first; one that fails is reported and the rest still run. */
  async unwind(onError: (name: string, error: unknown) => void): Promise<void> {
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      try {
        await step.release();
      } catch (error) {
        onError(step.name, error);
      }
    }
  }
}
