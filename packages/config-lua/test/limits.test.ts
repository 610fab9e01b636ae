import { SpoolErrorCode } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { wasmHeapBytes } from '../src/engine.js';
import { loadPolicy } from '../src/index.js';
import { inInit, rejection, writePolicy } from './helpers.js';

const FAST = { env: {}, timeoutMs: 300 };
const SMALL = { env: {}, memoryLimitBytes: 8 * 1024 * 1024, timeoutMs: 20_000 };

describe('limits', () => {
  it('stops an endless loop', async () => {
    const policy = writePolicy({
      'init.lua': `local n = 0\nwhile true do n = n + 1 end\n`,
    });
    const error = await rejection(loadPolicy(policy, FAST));
    expect(error.code).toBe(SpoolErrorCode.PolicyTimeout);
    expect(error.message).toMatch(
      /^init\.lua:2: the policy ran longer than 300 ms/,
    );
  });

  it('stops an endless loop in init', async () => {
    const policy = writePolicy({ 'init.lua': inInit('repeat until false') });
    const error = await rejection(loadPolicy(policy, FAST));
    expect(error.code).toBe(SpoolErrorCode.PolicyTimeout);
    expect(error.message).toMatch(/^init\.lua:2: /);
  });

  it('stops a loop around pcall', async () => {
    const policy = writePolicy({
      'init.lua': `while true do pcall(function() while true do end end) end\n`,
    });
    const error = await rejection(loadPolicy(policy, FAST));
    expect(error.code).toBe(SpoolErrorCode.PolicyTimeout);
  });

  it('stops a loop in a coroutine', async () => {
    const policy = writePolicy({
      'init.lua': `local co = coroutine.create(function() while true do end end)\nwhile true do coroutine.resume(co) end\n`,
    });
    const error = await rejection(loadPolicy(policy, FAST));
    expect(error.code).toBe(SpoolErrorCode.PolicyTimeout);
  });

  it('stops endless recursion', async () => {
    const policy = writePolicy({
      'init.lua': `local function f() return f() end\nf()\n`,
    });
    const error = await rejection(loadPolicy(policy, FAST));
    expect(error.code).toBe(SpoolErrorCode.PolicyTimeout);
  });

  it('stops a growing table', async () => {
    const policy = writePolicy({
      'init.lua': `local t = {}\nwhile true do t[#t + 1] = ('x'):rep(4096) .. #t end\n`,
    });
    const error = await rejection(loadPolicy(policy, SMALL));
    expect(error.code).toBe(SpoolErrorCode.PolicyMemoryLimit);
    expect(error.message).toContain('8388608 bytes');
  });

  it('stops one huge string', async () => {
    const policy = writePolicy({
      'init.lua': `local s = ('x'):rep(1 << 30)\n`,
    });
    const error = await rejection(loadPolicy(policy, SMALL));
    expect(error.code).toBe(SpoolErrorCode.PolicyMemoryLimit);
  });

  it('stops memory growth behind pcall', async () => {
    const policy = writePolicy({
      'init.lua': `local t = {}\nwhile true do pcall(function() t[#t + 1] = ('y'):rep(4096) .. #t end) end\n`,
    });
    const error = await rejection(loadPolicy(policy, SMALL));
    expect(error.code).toBe(SpoolErrorCode.PolicyMemoryLimit);
  });

  it('runs again after a stopped policy', async () => {
    const endless = writePolicy({ 'init.lua': `while true do end\n` });
    await rejection(loadPolicy(endless, FAST));
    const policy = writePolicy({
      'init.lua': inInit(`kumo.define_spool { name = 'data', path = '/s' }`),
    });
    const { spools } = await loadPolicy(policy, FAST);
    expect(spools).toHaveLength(1);
  });

  it('evaluates many policies in one process', async () => {
    const policy = writePolicy({
      'init.lua': inInit(`kumo.define_spool { name = 'data', path = '/s' }`),
    });
    const runs = await Promise.all(
      Array.from({ length: 50 }, () => loadPolicy(policy, FAST)),
    );
    for (const run of runs) {
      expect(run.spools).toHaveLength(1);
    }
  });
});

describe('engine lifetime', () => {
  it('closes every engine', async () => {
    const policy = writePolicy({
      'init.lua': inInit(
        `local t = {}\nfor i = 1, 2000 do t[i] = ('x'):rep(100) .. i end\nkumo.define_spool { name = 'data', path = '/s' }`,
      ),
    });
    for (let i = 0; i < 20; i++) {
      await loadPolicy(policy, FAST);
    }
    const before = await wasmHeapBytes();
    // An unclosed engine keeps its state, about 0.25 MB plus the 0.2 MB
    // of strings above, so 300 of them would grow the heap by over 100 MB.
    for (let i = 0; i < 300; i++) {
      await loadPolicy(policy, FAST);
    }
    expect(await wasmHeapBytes()).toBeLessThan(before + 16 * 1024 * 1024);
  });
});
