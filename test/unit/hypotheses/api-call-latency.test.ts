import test from 'ava';
import { sliWindows } from '../../../src/hypotheses/api-calls.js';
import { apiCallLatency } from '../../../src/hypotheses/builtins/api-call-latency.js';
import type { EvaluationContext } from '../../../src/core/hypothesis.js';
import { ChangeFilter } from '../../../src/metrics/change-filter.js';
import type { Sample } from '../../../src/core/sample.js';
import { metricFilter, parseExposition } from '../../../src/metrics/scrapers/prometheus.js';
import { SampleStore } from '../../../src/metrics/store.js';

const bounds = [0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];
type Call = { resource: string; verb: string; scope: string; subresource?: string };

/** An apiserver's /metrics text for the SLI histogram, from every latency observed so far per call. */
function exposition(observed: Map<Call, number[]>): string {
  const lines = ['# HELP apiserver_request_sli_duration_seconds [ALPHA] Response latency', '# TYPE apiserver_request_sli_duration_seconds histogram'];
  for (const [call, latencies] of observed) {
    const labels = `component="apiserver",group="",resource="${call.resource}",scope="${call.scope}",subresource="${call.subresource ?? ''}",verb="${call.verb}",version="v1"`;
    for (const le of bounds) lines.push(`apiserver_request_sli_duration_seconds_bucket{${labels},le="${le}"} ${latencies.filter((l) => l <= le).length}`);
    lines.push(`apiserver_request_sli_duration_seconds_bucket{${labels},le="+Inf"} ${latencies.length}`);
    lines.push(`apiserver_request_sli_duration_seconds_sum{${labels}} ${latencies.reduce((a, b) => a + b, 0)}`);
    lines.push(`apiserver_request_sli_duration_seconds_count{${labels}} ${latencies.length}`);
  }
  return `${lines.join('\n')}\n`;
}

const gets: Call = { resource: 'configmaps', verb: 'GET', scope: 'resource' };
const posts: Call = { resource: 'configmaps', verb: 'POST', scope: 'resource' };
const lists: Call = { resource: 'pods', verb: 'LIST', scope: 'cluster' };
const logs: Call = { resource: 'pods', verb: 'GET', scope: 'resource', subresource: 'log' };

/**
 * A minute of scrapes, one a second, through the scraper's own parsing and change filter.
 * `during(second)` says what each call observed in that second.
 */
function scraped(during: (second: number) => [Call, number[]][], restartAt?: number): SampleStore {
  const observed = new Map<Call, number[]>([
    [gets, [0.01]],
    [posts, []],
    [lists, []],
    [logs, []],
  ]);
  const filter = new ChangeFilter();
  const wanted = metricFilter(['apiserver_request_sli_duration_seconds_bucket']);
  const samples: Sample[] = [];
  for (let second = 0; second <= 60; second++) {
    if (second === restartAt) for (const call of observed.keys()) observed.set(call, []);
    for (const [call, latencies] of during(second)) observed.get(call)!.push(...latencies);
    samples.push(...parseExposition(exposition(observed), second * 1000, { component: 'apiserver' }, wanted, filter));
  }
  return SampleStore.fromSamples(samples);
}

const context = (store: SampleStore, from = 10_000, to = 50_000): EvaluationContext => ({
  store,
  windows: { during: { from, to } },
  events: [],
  recoveryChecked: false,
});
const spec = { name: 'slo', builtin: 'api-call-latency' as const };
const quiet = (second: number): [Call, number[]][] => [
  [gets, [0.02, 0.03]],
  [posts, [0.04]],
  [lists, second % 5 ? [] : [0.3]],
  [logs, [5]],
];

test("a quiet minute holds, judged over the whole window when it is shorter than the SLO's 5 minutes", (t) => {
  const verdict = apiCallLatency.evaluate(spec, context(scraped(quiet)));
  t.is(verdict.status, 'held', verdict.detail);
  t.regex(verdict.detail ?? '', /judged over the whole during window \(40\.0s, shorter than the SLO's 5m00s\)/);
  // The LISTs (0.3 s) are the slowest, but far inside 30 s; GET and POST at most 0.05 s against 1 s.
  t.regex(verdict.observedText, /^configmaps (GET|POST) \(resource scope\) p99 \d+ms$/);
  t.regex(verdict.detail ?? '', /3 kinds of call/, 'pods/log is not an API call of the SLO');
});

test('slow mutating calls in the window break it, named with their scope, how far past the limit and when', (t) => {
  const slowPosts = (second: number): [Call, number[]][] => [...quiet(second), [posts, second >= 20 && second < 25 ? [2.5, 2.5] : []]];
  const verdict = apiCallLatency.evaluate(spec, context(scraped(slowPosts)));
  t.is(verdict.status, 'deviated');
  t.regex(verdict.observedText, /^configmaps POST \(resource scope\) p99 2\.\d+s$/);
  t.regex(verdict.detail ?? '', /^configmaps POST \(resource scope\) p99 2\.95s > 1\.00s, 3\.0x its limit, in the window 00:00:10–00:00:50 UTC \(\d+ calls\)/);
  t.notRegex(verdict.detail ?? '', /GET/, 'only the broken call is named');
});

test('slow calls before the window do not count; an override and sliding windows judge the rest', (t) => {
  const slowEarly = (second: number): [Call, number[]][] => [...quiet(second), [posts, second < 8 ? [3] : []]];
  t.is(apiCallLatency.evaluate(spec, context(scraped(slowEarly))).status, 'held');
  const slowLists = (second: number): [Call, number[]][] => [...quiet(second), [lists, second === 30 ? [0.3, 0.3, 20] : []]];
  const tight = { ...spec, sliWindow: '10s', overrides: [{ resource: 'pods', verb: 'LIST', threshold: '5s' }] };
  const verdict = apiCallLatency.evaluate(tight, context(scraped(slowLists)));
  t.is(verdict.status, 'deviated');
  t.regex(verdict.detail ?? '', /pods LIST \(cluster scope\) p99 1\d\.\d\ds > 5\.00s.*in the window 00:00:(2\d|30)–00:00:(3\d|40) UTC/);
  t.regex(verdict.detail ?? '', /over every 10.0s window of during/);
  t.is(apiCallLatency.evaluate({ ...tight, overrides: [] }, context(scraped(slowLists))).status, 'held', '20 s is within the official 30 s for cluster LISTs');
});

test('an apiserver restart (its counters from zero) neither hides nor doubles calls', (t) => {
  const slowAfterRestart = (second: number): [Call, number[]][] => [...quiet(second), [posts, second === 40 ? [1.8] : []]];
  const verdict = apiCallLatency.evaluate(spec, context(scraped(slowAfterRestart, 30)));
  t.is(verdict.status, 'deviated');
  t.regex(verdict.detail ?? '', /configmaps POST \(resource scope\) p99 1\.\d+s/);
  // 40 seconds of one POST a second and the slow one: 41, however the counters restarted.
  t.regex(verdict.detail ?? '', /\(41 calls\)/);
});

test('the buckets that did not change are not recorded again', (t) => {
  const store = scraped(quiet);
  const buckets = store.select('apiserver_request_sli_duration_seconds_bucket', { resource: 'pods', verb: 'LIST' }, 0, Infinity);
  // All 22 at the first scrape; then a 0.3 s LIST every 5 s moves the 19 buckets from 0.4 to +Inf, and nothing else does.
  t.is(buckets.length, 22 + 12 * 19);
  t.deepEqual([...new Set(buckets.filter((b) => b.t > 0).map((b) => b.t / 1000))], [5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60]);
});

test('no SLI samples is no data, naming the way out; source: prometheus needs a URL', (t) => {
  const verdict = apiCallLatency.evaluate(spec, context(new SampleStore()));
  t.is(verdict.status, 'no-data');
  t.regex(verdict.detail ?? '', /use source: prometheus/);
  const experiment = { apiVersion: 'cpchaos.io/v1alpha1' as const, kind: 'Experiment' as const, metadata: { name: 'x' }, hypotheses: [] };
  t.deepEqual(apiCallLatency.validate!({ ...spec, source: 'prometheus' }, experiment), [
    { path: ['source'], message: 'source: prometheus needs prometheus: <url> here or metrics.prometheus for the experiment' },
  ]);
  t.deepEqual(apiCallLatency.validate!({ ...spec, selector: 'job="x"' }, experiment), [
    { path: ['selector'], message: 'selector: goes with source: prometheus' },
  ]);
  const recording = apiCallLatency.recording!({ ...spec, source: 'prometheus', prometheus: 'http://p:9090', selector: 'job="apiserver"' }, experiment);
  t.regex(
    recording.promql![0]!.expression,
    /^sum by \(resource, subresource, verb, scope, le\) \(apiserver_request_sli_duration_seconds_bucket\{.*job="apiserver"\}\)$/,
  );
});

test('sliding windows end at each change and where a change leaves the window', (t) => {
  t.deepEqual(sliWindows(0, 100, 200, [50]), [{ from: 0, to: 100 }]);
  t.deepEqual(
    sliWindows(0, 100, 30, [10, 50]).map((w) => w.to),
    [40, 50, 80, 100],
  );
});
