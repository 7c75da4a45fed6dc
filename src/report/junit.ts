import fs from 'node:fs/promises';
import path from 'node:path';
import type { Summary } from './summary.js';

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** One test case per hypothesis, so any CI that reads JUnit XML can gate on a run. */
export function junitXml(summary: Summary): string {
  const failures = summary.verdicts.filter((v) => v.status === 'deviated' || v.status === 'no-data').length;
  const skipped = summary.verdicts.filter((v) => v.status === 'not-checked').length;
  const cases = summary.verdicts.map((v) => {
    const open = `    <testcase classname="cpchaos.${escape(summary.experiment.name)}" name="${escape(v.name)}" time="0">`;
    const text = `observed ${v.observedText}; expected ${v.expected}${v.detail ? `; ${v.detail}` : ''}${v.runnerSaturated ? `; ${v.runnerSaturated}` : ''}`;
    if (v.status === 'deviated' || v.status === 'no-data') return `${open}\n      <failure message="${escape(text)}" type="${v.status}"/>\n    </testcase>`;
    if (v.status === 'not-checked') return `${open}\n      <skipped message="${escape(text)}"/>\n    </testcase>`;
    return `${open}\n      <system-out>${escape(text)}</system-out>\n    </testcase>`;
  });
  const errors = summary.status === 'error' || summary.status === 'interrupted' ? 1 : 0;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="cpchaos" tests="${summary.verdicts.length}" failures="${failures}" errors="${errors}" time="${(summary.durationMs / 1000).toFixed(1)}">`,
    `  <testsuite name="${escape(summary.experiment.name)}" tests="${summary.verdicts.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" timestamp="${summary.startedAt}" time="${(summary.durationMs / 1000).toFixed(1)}">`,
    ...(errors
      ? [
          `    <testcase classname="cpchaos.${escape(summary.experiment.name)}" name="run"><error message="${escape(summary.message ?? summary.status)}"/></testcase>`,
        ]
      : []),
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

export async function writeJunit(dir: string, summary: Summary): Promise<void> {
  await fs.writeFile(path.join(dir, 'junit.xml'), junitXml(summary));
}
