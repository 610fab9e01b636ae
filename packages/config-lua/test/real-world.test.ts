import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpoolErrorCode } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../src/index.js';
import { recordingLogger, rejection } from './helpers.js';

const fixtures = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'fixtures',
);

describe('real-world policy shapes', () => {
  it('sink with env defaults and DNS', async () => {
    const { spools, locations } = await loadPolicy(
      path.join(fixtures, 'sink.lua'),
      {
        env: { SINK_SPOOL: '/srv/sink' },
      },
    );
    expect(spools).toEqual([
      { name: 'data', path: '/srv/sink/data', kind: 'RocksDB', flush: false },
      { name: 'meta', path: '/srv/sink/meta', kind: 'RocksDB', flush: false },
    ]);
    expect(locations).toEqual(['sink.lua:28', 'sink.lua:28']);
  });

  it('relay with policy-extras helpers', async () => {
    const { logger, records } = recordingLogger();
    const { spools } = await loadPolicy(path.join(fixtures, 'relay.lua'), {
      env: { RELAY_SPOOL: '/srv/relay' },
      availableParallelism: 4,
      logger,
    });
    const params = {
      increase_parallelism: 4,
      optimize_level_style_compaction: 536870912,
      limit_concurrent_loads: 8,
      compression_type: 'Snappy',
      store_deadline: '30s',
    };
    expect(spools).toEqual([
      {
        name: 'data',
        path: '/srv/relay/data',
        kind: 'RocksDB',
        flush: false,
        rocks_params: params,
      },
      {
        name: 'meta',
        path: '/srv/relay/meta',
        kind: 'RocksDB',
        flush: false,
        rocks_params: params,
        min_free_space: '15%',
      },
    ]);
    expect(records.map((record) => record.message)).toEqual([
      'relay starting 🚀',
    ]);
  });

  it('swarm slot from the environment', async () => {
    const { spools } = await loadPolicy(path.join(fixtures, 'swarm.lua'), {
      env: { SWARM_SLOT: '3', KUMOD_TEST_DIR: '/t' },
    });
    expect(spools).toEqual([
      {
        name: 'data',
        path: '/t/data-3',
        kind: 'RocksDB',
        flush: false,
        rocks_params: {
          write_buffer_size: 67108864,
          error_latch_duration: '2s',
          paranoid_checks: true,
        },
        min_free_space: 10737418240,
      },
      {
        name: 'meta',
        path: '/t/meta-3',
        kind: 'LocalDisk',
        flush: true,
        min_free_inodes: '5%',
      },
    ]);
  });

  it('swarm with a float from the environment', async () => {
    const error = await rejection(
      loadPolicy(path.join(fixtures, 'swarm.lua'), {
        env: { SWARM_SLOT: '3', WRITE_BUFFER_SIZE: '1e6' },
      }),
    );
    expect(error.code).toBe(SpoolErrorCode.PolicyInvalid);
    expect(error.message).toMatch(/^swarm\.lua:13: /);
    expect(error.message).toContain('write_buffer_size');
  });

  it('swarm without its slot', async () => {
    const error = await rejection(
      loadPolicy(path.join(fixtures, 'swarm.lua'), { env: {} }),
    );
    expect(error.code).toBe(SpoolErrorCode.PolicyInvalid);
    expect(error.message).toMatch(
      /^swarm\.lua:15: bad argument #3 to 'format'/,
    );
  });
});
