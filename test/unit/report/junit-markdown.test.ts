import test from 'ava';
import { junitXml } from '../../../src/report/junit.js';
import { markdownReport } from '../../../src/report/markdown.js';
import { buildSummary } from '../../../src/run/summary.js';
import { journal } from '../run/state-fixture.js';

const verdicts = [
  { name: 'held one', kind: 'metric' as const, status: 'held' as const, observedText: '1', expected: '< 2' },
  { name: 'deviated <one>', kind: 'metric' as const, status: 'deviated' as const, observedText: '3', expected: '< 2' },
  { name: 'skipped one', kind: 'builtin' as const, status: 'not-checked' as const, observedText: 'the run ended', expected: 'x' },
];

test('JUnit: one case per hypothesis, failures and skips counted, names escaped', (t) => {
  const xml = junitXml(buildSummary(journal({ verdicts, status: 'deviated' }), Date.parse('2026-01-01T00:00:10Z')));
  t.regex(xml, /<testsuite name="x" tests="3" failures="1" errors="0" skipped="1"/);
  t.regex(xml, /name="deviated &lt;one&gt;"/);
  t.regex(xml, /<failure message="observed 3; expected &lt; 2" type="deviated"\/>/);
  t.notRegex(xml, /name="run"/, 'no error case for a run that ended normally');
});

test('JUnit: an interrupted run is an error case with its message', (t) => {
  const xml = junitXml(buildSummary(journal({ status: 'interrupted', message: 'Ctrl-C' }), Date.parse('2026-01-01T00:00:10Z')));
  t.regex(xml, /errors="1"/);
  t.regex(xml, /<testcase classname="cpchaos.x" name="run"><error message="Ctrl-C"\/><\/testcase>/);
});

test('Markdown: every verdict with its status, and the run status', (t) => {
  const text = markdownReport(buildSummary(journal({ verdicts, status: 'deviated' }), Date.parse('2026-01-01T00:00:10Z')));
  for (const v of verdicts) t.true(text.includes(v.name), v.name);
  t.regex(text, /deviated/);
});
