import { describeSpoolConformance } from '../src/testing/index.js';
import { ReferenceSpool } from './support/reference-backend.js';

describeSpoolConformance({
  name: 'Reference',
  create: (dir) => ReferenceSpool.open(dir),
});
