import { describeSpoolConformance } from '@spoolkit/core/testing';
import { MemorySpool } from '../src/index.js';

describeSpoolConformance({
  name: 'Memory',
  create: (dir) => MemorySpool.open(dir),
});
