import { close } from './close.js';
import { concurrency } from './concurrency.js';
import { copies } from './copies.js';
import { enumerate } from './enumerate.js';
import type { ConformanceFamily } from './harness.js';
import { lock } from './lock.js';
import { missing } from './missing.js';
import { persistence } from './persistence.js';
import { roundTrip } from './round-trip.js';
import { upkeep } from './upkeep.js';
import { values } from './values.js';

/** Every behaviour the suite checks, in the order it runs them. */
export const conformanceFamilies: readonly ConformanceFamily[] = [
  roundTrip,
  missing,
  values,
  copies,
  enumerate,
  concurrency,
  close,
  upkeep,
  lock,
  persistence,
];
