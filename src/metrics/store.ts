import type { Sample } from '../core/sample.js';
import type { RecordedSeries } from '../core/hypothesis.js';

export type LabelMatcher = Record<string, string>;

/** "value" matches exactly; "/regex/" matches as a regular expression. */
export function matches(labels: Record<string, string>, matcher: LabelMatcher = {}): boolean {
  return Object.entries(matcher).every(([key, expected]) => {
    const actual = labels[key] ?? '';
    if (expected.length > 1 && expected.startsWith('/') && expected.endsWith('/')) return new RegExp(expected.slice(1, -1)).test(actual);
    return actual === expected;
  });
}

/** Every sample of the run in memory, by metric name, for hypotheses and reports. */
export class SampleStore implements RecordedSeries {
  private readonly byMetric = new Map<string, Sample[]>();

  add(samples: Sample[]): void {
    for (const sample of samples) {
      let list = this.byMetric.get(sample.metric);
      if (!list) this.byMetric.set(sample.metric, (list = []));
      list.push(sample);
    }
  }

  select(metric: string, matcher: LabelMatcher | undefined, from: number, to: number): Sample[] {
    return (this.byMetric.get(metric) ?? []).filter((s) => s.t >= from && s.t <= to && matches(s.labels, matcher));
  }

  /** The largest value of a series over the whole run; undefined if it has no samples. */
  peak(metric: string, matcher?: LabelMatcher): number | undefined {
    const values = this.select(metric, matcher, 0, Number.POSITIVE_INFINITY).map((s) => s.value);
    return values.length ? Math.max(...values) : undefined;
  }

  metrics(): string[] {
    return [...this.byMetric.keys()];
  }

  static fromSamples(samples: Sample[]): SampleStore {
    const store = new SampleStore();
    store.add(samples);
    return store;
  }
}
