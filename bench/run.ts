/** `npm run bench`: the project's speed and detection targets, measured side by side in one run. */
import { benchLeakDetection } from './leak-detection.ts';

const leak = await benchLeakDetection();
console.log(
  '\nleak detection on the lab (target: leak_small detected within 300 cycles, clean never)',
);
console.table(leak);
const small = leak.find((r) => r.driver === 'leak_small')!;
const clean = leak.find((r) => r.driver === 'clean')!;
const ok =
  typeof small.leakVerdictAtCycle === 'number' &&
  small.leakVerdictAtCycle <= 300 &&
  clean.leakVerdictAtCycle === null;
console.log(
  `leak_small: LEAK after ${small.leakVerdictAtCycle} cycles, slope ${small.slopeBytesPerCycle} B/cycle; clean: ${clean.verdict} — ${ok ? 'target met' : 'TARGET MISSED'}`,
);
process.exitCode = ok ? 0 : 1;
