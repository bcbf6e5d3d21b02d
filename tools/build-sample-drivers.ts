/** Builds drvcycle's sample drivers into drivers/build with mingw-w64 (no Wine needed). */
import { buildSampleDrivers } from '../src/lab/drivers.ts';

const built = await buildSampleDrivers('build-sample-drivers.log');
console.log(
  built === 'already-done' ? 'sample drivers already built' : `built ${built.join(', ')}`,
);
