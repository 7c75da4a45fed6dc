/**
 * Remembers the last value recorded of each series and lets a sample through only when
 * its value changed. A histogram's buckets are most of an apiserver's series and most
 * of them stand still between scrapes; a counter's value at any time is its last
 * recorded one, so nothing is lost by leaving the repeats out.
 */
export class ChangeFilter {
  private readonly last = new Map<string, number>();

  changed(metric: string, labels: Record<string, string>, value: number): boolean {
    const key = `${metric}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))}`;
    if (this.last.get(key) === value) return false;
    this.last.set(key, value);
    return true;
  }
}
