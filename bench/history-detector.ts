/**
 * How often `cpchaos history`'s default band cries wolf, and how often it catches a real shift:
 * series of runs with normal noise (a seeded generator), judged as history judges them.
 *   node dist/bench/history-detector.js [--series 300] [--noise 5] [--shift 30] [--floor 20]
 */
import { parseArgs } from 'node:util';
import type { HistoryFigure } from '../src/history/figures.js';
import { defaultDetection, judgeSeries, regressionsOf } from '../src/history/regressions.js';

const { values } = parseArgs({
  options: {
    series: { type: 'string', default: '300' },
    noise: { type: 'string', default: '5' },
    shift: { type: 'string', default: '30' },
    floor: { type: 'string', default: '20' },
  },
});
const series = Number(values.series);
const sd = Number(values.noise);
const shift = Number(values.shift) / 100;

/** mulberry32, then Box-Muller: the same series for the same seed. */
function normal(seed: number, count: number, mean: number): number[] {
  let state = seed;
  const uniform = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()));
}

const figure: HistoryFigure = {
  name: 'memory',
  title: 'memory',
  unit: 'bytes',
  worse: 'higher',
  noise: { relative: Number(values.floor) / 100, absolute: 0 },
  metrics: [],
  measure: () => undefined,
};

let falseAlarms = 0;
let judgedRuns = 0;
let caught = 0;
for (let seed = 1; seed <= series; seed++) {
  const quiet = judgeSeries(normal(seed, 40, 100), figure);
  judgedRuns += quiet.filter((j) => j.baseline).length;
  falseAlarms += regressionsOf(figure.name, quiet).length;
  const shifted = [...normal(seed + 10_000, 8, 100), ...normal(seed + 20_000, 3, 100 * (1 + shift))];
  if (regressionsOf(figure.name, judgeSeries(shifted, figure)).some((r) => r.began === 8)) caught++;
}
const { window, minBaseline, falseAlarmRate } = defaultDetection;
console.log(
  `band: the one-sided ${100 * (1 - falseAlarmRate)} % prediction interval of up to ${window} runs (from ${minBaseline}), floor ${values.floor} %; noise ${sd} %: ` +
    `${falseAlarms} false alarms in ${judgedRuns} judged runs; a +${values.shift} % shift after 8 runs caught at once in ${caught} of ${series} series`,
);
