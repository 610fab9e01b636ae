import { describeSpoolConformance } from '@spoolkit/core/testing';
import { openRocksDbSpool } from '../src/index.js';

describeSpoolConformance({
  name: 'RocksDB',
  create: (dir) => openRocksDbSpool({ name: 'conformance', path: dir }),
});

describeSpoolConformance({
  name: 'RocksDB with flush',
  create: (dir) =>
    openRocksDbSpool({ name: 'conformance', path: dir, flush: true }),
});
