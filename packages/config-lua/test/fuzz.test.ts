import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isSpoolError, SpoolErrorCode } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../src/index.js';
import { makeTempDir } from './helpers.js';

const fixtures = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'fixtures',
);

/** mulberry32: a small seeded generator, so failures replay exactly. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const below = (limit: number) => Math.floor(next() * limit);
  const pick = <T>(items: readonly T[]): T => items[below(items.length)] as T;
  return { below, pick };
}

const TOKENS = [
  'kumo.define_spool',
  'kumo.on',
  "'init'",
  "'pre_init'",
  'function',
  'end',
  'local',
  'while',
  'true',
  'do',
  'repeat',
  'until',
  'for',
  'in',
  'ipairs',
  'if',
  'then',
  'return',
  'nil',
  'false',
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  '=',
  '==',
  ',',
  '.',
  '..',
  ':',
  ';',
  '#',
  '/',
  '//',
  '^',
  '-',
  '*',
  '%',
  '<',
  '>',
  '~=',
  'name',
  'path',
  'kind',
  'flush',
  'rocks_params',
  'min_free_space',
  "'data'",
  "'/s'",
  "'RocksDB'",
  '1',
  '2.5',
  '1e308',
  'math.maxinteger',
  '0x7fffffffffffffff',
  '"%d"',
  'x',
  'pcall',
  'error',
  'coroutine.wrap',
  'setmetatable',
  'string.rep',
  'require',
  'os.getenv',
  'load',
  'select',
  "'#'",
  '...',
  'goto',
  '::a::',
  '<const>',
  '<close>',
  '\n',
  '--',
  '[[',
  ']]',
  '\\0',
  '"\\xff"',
];

/** Flips `count` random bytes to random values, NUL and high bytes included. */
function flipBytes(
  source: string,
  random: ReturnType<typeof generator>,
): string {
  const bytes = Buffer.from(source);
  for (let i = 0, count = 1 + random.below(4); i < count; i++) {
    bytes[random.below(bytes.length)] = random.below(256);
  }
  return bytes.toString('latin1');
}

function truncate(
  source: string,
  random: ReturnType<typeof generator>,
): string {
  return source.slice(0, random.below(source.length));
}

/** Swaps two tokens, or replaces one with a token from the list above. */
function swapTokens(
  source: string,
  random: ReturnType<typeof generator>,
): string {
  const tokens = source.match(/\w+|\s+|[^\w\s]/g) ?? [];
  for (let i = 0, count = 1 + random.below(3); i < count; i++) {
    const a = random.below(tokens.length);
    if (random.below(2) === 0) {
      const b = random.below(tokens.length);
      [tokens[a], tokens[b]] = [tokens[b] as string, tokens[a] as string];
    } else {
      tokens[a] = random.pick(TOKENS);
    }
  }
  return tokens.join('');
}

const HOSTILE = [
  'while true do end',
  "local t = {} while true do t[#t + 1] = ('x'):rep(65536) .. #t end",
  "os.execute('touch /tmp/spoolkit-fuzz')",
  'error(setmetatable({}, { __tostring = function() while true do end end }))',
  'coroutine.wrap(function() while true do end end)()',
  "local s = string.rep('x', 1 << 40)",
  "kumo.on('init', function() end)",
  "require '..'",
  'setmetatable({}, { __gc = print })',
  "print(load('\\27Lua'))",
  "collectgarbage('stop')",
  "io.stdout:write('x')",
  'kumo.define_spool(setmetatable({}, { __index = function() while true do end end }))',
  "kumo.define_spool { name = 'data', path = '/s', rocks_params = { x = function() end } }",
  'local function f() return f() end f()',
  'local function g() g() end g()',
];

/** Inserts a hostile statement at the start of a random line. */
function spliceHostile(
  source: string,
  random: ReturnType<typeof generator>,
): string {
  const lines = source.split('\n');
  lines.splice(random.below(lines.length + 1), 0, random.pick(HOSTILE));
  return lines.join('\n');
}

function randomPolicy(random: ReturnType<typeof generator>): string {
  const parts: string[] = [];
  for (let i = 0, count = 10 + random.below(60); i < count; i++) {
    parts.push(random.pick(TOKENS));
  }
  return parts.join(' ');
}

const SEEDS = Array.from({ length: 400 }, (_, i) => i + 1);
const RANDOM_SEEDS = Array.from({ length: 100 }, (_, i) => 10_000 + i);

describe('hostile policies', () => {
  const bases = ['sink.lua', 'relay.lua', 'swarm.lua'].map((name) =>
    fs.readFileSync(path.join(fixtures, name), 'utf8'),
  );
  const mutations = [flipBytes, truncate, swapTokens, spliceHostile];
  const options = {
    env: { SWARM_SLOT: '1' },
    timeoutMs: 150,
    memoryLimitBytes: 16 * 1024 * 1024,
  };
  const codes: string[] = [
    SpoolErrorCode.PolicyInvalid,
    SpoolErrorCode.PolicyTimeout,
    SpoolErrorCode.PolicyMemoryLimit,
  ];

  /** Evaluates `source` and checks that it loads or fails cleanly. */
  async function evaluate(directory: string, source: string, label: string) {
    const policy = path.join(directory, 'fuzz.lua');
    fs.writeFileSync(policy, source, 'latin1');
    try {
      const { spools } = await loadPolicy(policy, options);
      expect(Array.isArray(spools), label).toBe(true);
      return 'loaded';
    } catch (error) {
      expect(isSpoolError(error), `${label}: ${String(error)}`).toBe(true);
      const spoolError = error as Error & { code: string; path?: string };
      expect(codes, label).toContain(spoolError.code);
      expect(spoolError.message.length, label).toBeGreaterThan(0);
      expect(spoolError.path, label).toBe(policy);
      if (spoolError.code === SpoolErrorCode.PolicyInvalid) {
        const located = /^[\w./-]+\.lua:\d+: /.test(spoolError.message);
        const unlocated = spoolError.message.startsWith('the policy ');
        expect(located || unlocated, `${label}: ${spoolError.message}`).toBe(
          true,
        );
        return located ? 'located' : 'unlocated';
      }
      return spoolError.code;
    }
  }

  it('mutated policies fail cleanly', async () => {
    const directory = makeTempDir();
    fs.cpSync(path.join(fixtures, 'policy'), path.join(directory, 'policy'), {
      recursive: true,
    });
    const outcomes = new Map<string, number>();
    for (const seed of SEEDS) {
      const random = generator(seed);
      const mutate = random.pick(mutations);
      const source = mutate(random.pick(bases), random);
      const outcome = await evaluate(
        directory,
        source,
        `seed ${seed} (${mutate.name})`,
      );
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    // Most mutations break the policy, Lua names a line for nearly all,
    // and the hostile statements reach both limits.
    expect(outcomes.get('located') ?? 0).toBeGreaterThan(SEEDS.length / 2);
    expect(outcomes.get(SpoolErrorCode.PolicyTimeout) ?? 0).toBeGreaterThan(0);
    expect(outcomes.get(SpoolErrorCode.PolicyMemoryLimit) ?? 0).toBeGreaterThan(
      0,
    );
  });

  it('random token policies fail cleanly', async () => {
    const directory = makeTempDir();
    for (const seed of RANDOM_SEEDS) {
      const source = randomPolicy(generator(seed));
      await evaluate(directory, source, `random seed ${seed}`);
    }
  });
});
