import { describe, expect, it } from 'vitest';
import { backend, parseRocksParams, ROCKS_PARAM_KEYS } from '../src/index.js';
import { toOpenOptions, unappliedKeys } from '../src/open-options.js';

function invalid(table: Record<string, unknown>): string {
  try {
    parseRocksParams(table, 'data');
  } catch (error) {
    expect((error as { code: string }).code).toBe('SPOOL_INVALID_DEFINITION');
    expect((error as { spool: string }).spool).toBe('data');
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(table)} to be rejected`);
}

describe('parseRocksParams', () => {
  it('fills KumoMTA defaults', () => {
    const params = parseRocksParams(undefined, 'data');
    expect(params.compressionType).toBe('Snappy');
    expect(params.logLevel).toBe('Info');
    expect(params.paranoidChecks).toBe(false);
    expect(params.levelCompactionDynamicLevelBytes).toBe(false);
    expect(params.storeDeadlineMs).toBe(30_000);
    expect(params.errorLatchDurationMs).toBe(15_000);
    expect(params.errorUnlatchDurationMs).toBe(300_000);
    expect(params.allowErrorUnlatch).toBe(true);
    expect(params.logFileTimeToRollMs).toBe(86_400_000);
    expect(params.obsoleteFilesPeriodMs).toBe(21_600_000);
    expect(params.writeBufferSize).toBeUndefined();
    expect(params.givenKeys).toEqual([]);
  });

  it('accepts every key', () => {
    const table = {
      increase_parallelism: 4,
      optimize_level_style_compaction: 512 * 1024 * 1024,
      paranoid_checks: false,
      compression_type: 'None',
      compaction_readahead_size: 2 * 1024 * 1024,
      level_compaction_dynamic_level_bytes: false,
      max_open_files: 500,
      write_buffer_size: 4096,
      level0_stop_writes_trigger: 36,
      log_level: 'Warn',
      memtable_huge_page_size: 2 * 1024 * 1024,
      log_file_time_to_roll: '1 day',
      obsolete_files_period: '6h',
      limit_concurrent_stores: 8,
      limit_concurrent_loads: 16,
      limit_concurrent_removes: 4,
      store_deadline: '10s',
      error_latch_duration: 2,
      error_unlatch_duration: '1m',
      allow_error_unlatch: false,
    };
    const params = parseRocksParams(table, 'data');
    expect(params.givenKeys).toHaveLength(20);
    expect(params.compressionType).toBe('None');
    expect(params.writeBufferSize).toBe(4096);
    expect(params.storeDeadlineMs).toBe(10_000);
    expect(params.errorLatchDurationMs).toBe(2_000);
    expect(params.errorUnlatchDurationMs).toBe(60_000);
    expect(params.logFileTimeToRollMs).toBe(86_400_000);
    expect(params.allowErrorUnlatch).toBe(false);
    expect(params.limitConcurrentLoads).toBe(16);
    const universal = parseRocksParams(
      { optimize_universal_style_compaction: 1024 },
      'meta',
    );
    expect(universal.optimizeUniversalStyleCompaction).toBe(1024);
    expect(ROCKS_PARAM_KEYS).toHaveLength(21);
  });

  it('accepts bigint integers', () => {
    const params = parseRocksParams({ write_buffer_size: 65536n }, 'data');
    expect(params.writeBufferSize).toBe(65536);
  });

  it.each([
    ['write_buffer_size', 4096.5],
    ['max_open_files', 1.5],
    ['increase_parallelism', 2.5],
    ['limit_concurrent_stores', 0.5],
    ['level0_stop_writes_trigger', 20.1],
    ['compaction_readahead_size', 1e3 + 0.25],
    ['memtable_huge_page_size', 0.1],
    ['optimize_level_style_compaction', 1.5],
  ])('rejects fractional %s', (key, value) => {
    const message = invalid({ [key]: value });
    expect(message).toContain(`rocks_params.${key} of spool 'data'`);
    expect(message).toContain('must be an integer');
  });

  it.each([
    ['write_buffer_size', '4096'],
    ['max_open_files', true],
    ['paranoid_checks', 'yes'],
    ['allow_error_unlatch', 1],
    ['level_compaction_dynamic_level_bytes', 'false'],
  ])('rejects wrong type for %s', (key, value) => {
    expect(invalid({ [key]: value })).toContain(`rocks_params.${key}`);
  });

  it.each([
    ['write_buffer_size', -1],
    ['write_buffer_size', 2 ** 32],
    ['max_open_files', -5],
    ['limit_concurrent_loads', 0],
    ['limit_concurrent_removes', -1],
    ['increase_parallelism', 2 ** 31],
  ])('rejects out-of-range %s = %s', (key, value) => {
    expect(invalid({ [key]: value })).toContain(`rocks_params.${key}`);
  });

  it.each([
    ['compression_type', 'snappy'],
    ['compression_type', 'SNAPPY'],
    ['compression_type', 'none'],
    ['log_level', 'info'],
    ['log_level', 'WARN'],
    ['log_level', 'Verbose'],
  ])('rejects %s %s by case', (key, value) => {
    const message = invalid({ [key]: value });
    expect(message).toContain('case-sensitive');
    expect(message).toContain(`rocks_params.${key}`);
  });

  it.each(['Zlib', 'Bz2', 'Lz4', 'Lz4hc', 'Zstd'])(
    'rejects compression %s the binding lacks',
    (compression) => {
      const message = invalid({ compression_type: compression });
      expect(message).toContain('Snappy only');
      expect(message).toContain('"None"');
    },
  );

  it.each([
    ['zstdd', ''],
    ['snappy', ' (did you mean "Snappy"?)'],
    ['Snapy', ' (did you mean "Snappy"?)'],
    ['none', ' (did you mean "None"?)'],
  ])('suggests only supported compressions for %s', (typo, hint) => {
    const message = invalid({ compression_type: typo });
    expect(message).toContain(`is "${typo}"${hint}, not a compression name`);
    expect(message).not.toContain('Zstd');
    expect(message).not.toContain('Snappy only');
    expect(message).toContain('"Snappy" (the default) or "None"');
  });

  it.each([
    ['lz4', 'kumod spells it "Lz4", which the rocksdb binding lacks anyway'],
    ['snappy', 'kumod spells it "Snappy"; use'],
  ])('names the spelling kumod knows for %s', (typo, expected) => {
    expect(invalid({ compression_type: typo })).toContain(expected);
  });

  it('rejects a compression that is not a string', () => {
    const message = invalid({ compression_type: 3 });
    expect(message).toContain('is 3, not a compression name');
    expect(message).toContain('use "Snappy" (the default) or "None"');
  });

  it.each([
    'store_deadline',
    'error_latch_duration',
    'error_unlatch_duration',
    'log_file_time_to_roll',
    'obsolete_files_period',
  ])('rejects invalid duration for %s', (key) => {
    expect(invalid({ [key]: '10' })).toContain('has no unit');
    expect(invalid({ [key]: -1 })).toContain('negative');
    expect(invalid({ [key]: '5 parsecs' })).toContain('unknown unit');
    expect(invalid({ [key]: true })).toContain(`rocks_params.${key}`);
  });

  it('parses duration forms', () => {
    const params = parseRocksParams(
      { store_deadline: 1.5, error_latch_duration: '1h 30m' },
      'data',
    );
    expect(params.storeDeadlineMs).toBe(1_500);
    expect(params.errorLatchDurationMs).toBe(5_400_000);
  });

  it('rejects unknown key with hint', () => {
    const message = invalid({ write_bufer_size: 4096 });
    expect(message).toContain('unknown key "write_bufer_size"');
    expect(message).toContain('did you mean "write_buffer_size"');
    expect(message).toContain("rocks_params of spool 'data'");
  });

  it('rejects both optimize keys', () => {
    const message = invalid({
      optimize_level_style_compaction: 1024,
      optimize_universal_style_compaction: 1024,
    });
    expect(message).toContain('optimize_level_style_compaction');
    expect(message).toContain('optimize_universal_style_compaction');
  });

  it('rejects a non-table', () => {
    expect(invalid([] as unknown as Record<string, unknown>)).toContain(
      'must be a table',
    );
  });
});

describe('open options', () => {
  it('maps applied keys', () => {
    const options = toOpenOptions(
      parseRocksParams(
        {
          compression_type: 'None',
          write_buffer_size: 8192,
          max_open_files: 100,
          log_level: 'Header',
        },
        'data',
      ),
    );
    expect(options).toEqual({
      compression: false,
      writeBufferSize: 8192,
      maxOpenFiles: 100,
      infoLogLevel: 'header',
    });
  });

  it('uses RocksDB defaults', () => {
    const options = toOpenOptions(parseRocksParams({}, 'data'));
    expect(options.compression).toBe(true);
    expect(options.writeBufferSize).toBe(64 * 1024 * 1024);
    expect(options.maxOpenFiles).toBe(-1);
    expect(options.infoLogLevel).toBe('info');
  });

  it('lists unapplied keys', () => {
    const params = parseRocksParams(
      {
        increase_parallelism: 2,
        paranoid_checks: true,
        level_compaction_dynamic_level_bytes: false,
        write_buffer_size: 4096,
        obsolete_files_period: '1h',
      },
      'data',
    );
    expect(unappliedKeys(params)).toEqual([
      'increase_parallelism',
      'paranoid_checks',
      'obsolete_files_period',
    ]);
  });
});

describe('backend', () => {
  it('validates definitions', () => {
    const definition = {
      name: 'meta',
      path: '/nonexistent/spool',
      kind: 'RocksDB',
      flush: false,
      rocksParams: { store_deadline: '5s' },
      minFreeSpace: { kind: 'percent', percent: 10 } as const,
      minFreeInodes: { kind: 'percent', percent: 10 } as const,
      source: { name: 'meta', path: '/nonexistent/spool' },
    };
    const logger = { debug() {}, info() {}, warn() {}, error() {} };
    expect(backend.kind).toBe('RocksDB');
    expect(backend.validate(definition, { logger }).storeDeadlineMs).toBe(
      5_000,
    );
    expect(() =>
      backend.validate(
        { ...definition, rocksParams: { log_level: 'debug' } },
        { logger },
      ),
    ).toThrow(/rocks_params.log_level of spool 'meta'/);
  });
});
