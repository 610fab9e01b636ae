import { describeSpoolConformance } from '@spoolkit/core/testing';
import { openLocalDiskSpool } from '../src/index.js';

describeSpoolConformance({
  name: 'LocalDisk',
  create: (dir) => openLocalDiskSpool({ name: 'conformance', path: dir }),
});

describeSpoolConformance({
  name: 'LocalDisk with flush',
  create: (dir) =>
    openLocalDiskSpool({ name: 'conformance', path: dir, flush: true }),
});
