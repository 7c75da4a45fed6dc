import type { MetricHypothesisSpec } from '../../experiment/schema.js';
import { experimentRecording } from '../../experiment/recording.js';
import { evaluate } from '../../hypotheses/evaluate.js';
import { Recorder } from '../../metrics/recorder.js';
import { Gauges } from '../../ui/gauges.js';
import { parseDuration } from '../../units.js';
import type { RunContext } from '../context.js';
import { evaluationContext } from '../state.js';

/** Only deviations the rest of the window cannot undo are reported as they happen (a max over a limit stays over it). */
function settledOnceDeviated(h: MetricHypothesisSpec): boolean {
  const upperBound = h.comparator === '<' || h.comparator === '<=';
  const lowerBound = h.comparator === '>' || h.comparator === '>=';
  return ((h.aggregate === 'max' || h.aggregate === 'increase') && upperBound) || (h.aggregate === 'min' && lowerBound);
}

/** Each recording round during the faults: report the first moment each such hypothesis deviates. */
function duringCheck(run: RunContext): (t: number) => void {
  const { state } = run;
  const hypotheses = state.experiment.hypotheses.filter((h): h is MetricHypothesisSpec => !('builtin' in h) && h.window === 'during' && settledOnceDeviated(h));
  const reported = new Set<string>();
  return (t) => {
    const during = state.windows.during;
    if (!during || during.to !== Number.POSITIVE_INFINITY) return;
    for (const h of hypotheses) {
      if (reported.has(h.name)) continue;
      const verdict = evaluate(h, { ...evaluationContext(state), windows: { during: { from: during.from, to: t } } }, run.catalog.hypotheses);
      if (verdict.status === 'deviated') {
        reported.add(h.name);
        run.event('hypothesis-deviated', `${h.name}: observed ${verdict.observedText}, expected ${verdict.expected}`, { hypothesis: h.name });
      }
    }
  };
}

/** Starts recording from every scraper the cluster can feed; stopping it closes the open windows. */
export function startRecording(run: RunContext): void {
  const { state, catalog } = run;
  const cluster = state.cluster!;
  const fleet = state.environment!.fleet;
  // A scraper the cluster cannot feed (no processes here) makes none.
  const recording = experimentRecording(state.experiment, catalog);
  const scrapers = catalog.plugins.scrapers.flatMap((p) =>
    p.create({ cluster, experiment: state.experiment, recording, stats: state.stats, fleet: fleet.stats }),
  );
  const intervalMs = parseDuration(state.experiment.metrics?.interval ?? '1s');
  const gauges = new Gauges(state.store);
  const check = duringCheck(run);
  const recorder = new Recorder(
    scrapers,
    state.store,
    [...run.sinks],
    intervalMs,
    (type, text) => run.event(type, text),
    (t) => {
      run.output.gauges(gauges.text(t));
      check(t);
    },
  );
  state.recorder = recorder;
  recorder.start();
  state.windows.whole = { from: Date.now(), to: Number.POSITIVE_INFINITY };
  run.cleanup.defer('recorder', async () => {
    await recorder.stop().catch(() => undefined);
    if (state.windows.whole) state.windows.whole.to = Date.now();
    if (state.windows.during?.to === Number.POSITIVE_INFINITY) state.windows.during.to = Date.now();
  });
}
