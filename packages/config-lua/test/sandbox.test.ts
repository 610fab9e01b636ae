import { SpoolErrorCode } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../src/index.js';
import { inInit, recordingLogger, rejection, writePolicy } from './helpers.js';

/** Runs `source` and returns the lines it printed. */
async function printed(source: string, env: Record<string, string> = {}) {
  const { logger, records } = recordingLogger();
  const policy = writePolicy({ 'init.lua': source });
  await loadPolicy(policy, { env, logger });
  return records
    .filter((record) => record.level === 'info')
    .map((record) => record.message);
}

describe('sandbox', () => {
  it('sends print output to the logger', async () => {
    const { logger, records } = recordingLogger();
    const policy = writePolicy({
      'init.lua': `print('spool', 1, 2.5, nil, true)\n`,
    });
    await loadPolicy(policy, { env: {}, logger });
    expect(records).toEqual([
      {
        level: 'info',
        fields: { policy },
        message: 'spool\t1\t2.5\tnil\ttrue',
      },
    ]);
  });

  it('limits logged print lines', async () => {
    const { logger, records } = recordingLogger();
    const policy = writePolicy({
      'init.lua': `for i = 1, 500 do print(i) end\n`,
    });
    await loadPolicy(policy, { env: {}, logger });
    expect(records.filter((record) => record.level === 'info')).toHaveLength(
      100,
    );
    expect(records.filter((record) => record.level === 'warn')).toHaveLength(1);
  });

  it('runs pre_init before init', async () => {
    const lines = await printed(
      `kumo.on('init', function() print('init') end)\nkumo.on('pre_init', function() print('pre_init') end)\nprint('load')\n`,
    );
    expect(lines).toEqual(['load', 'pre_init', 'init']);
  });

  it('runs no other handlers', async () => {
    const lines = await printed(
      `kumo.on('smtp_server_message_received', function() print('message') end)\nkumo.on('init', function() print('init') end)\n`,
    );
    expect(lines).toEqual(['init']);
  });

  it('rejects a second init handler', async () => {
    const policy = writePolicy({
      'init.lua': `kumo.on('init', function() end)\nkumo.on('init', function() end)\n`,
    });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.code).toBe(SpoolErrorCode.PolicyInvalid);
    expect(error.message).toMatch(
      /^init\.lua:2: the init event already has a handler defined at init\.lua:1/,
    );
  });

  it('rejects kumo.on inside a handler', async () => {
    const policy = writePolicy({
      'init.lua': inInit(`kumo.on('get_queue_config', function() end)`),
    });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.message).toMatch(/^init\.lua:2: /);
    expect(error.message).toContain('inside an event handler');
  });

  it('rejects a non-function handler', async () => {
    const policy = writePolicy({ 'init.lua': `kumo.on('init', 42)\n` });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.message).toMatch(/^init\.lua:1: bad argument #2 to 'kumo.on'/);
  });

  it('returns nil from io.open', async () => {
    const lines = await printed(
      inInit(
        `local file, message = io.open('/etc/passwd')\nprint(file, message)`,
      ),
    );
    expect(lines).toEqual(['nil\t/etc/passwd: No such file or directory']);
  });

  it('removes host access functions', async () => {
    const lines = await printed(
      `print(os.execute, os.exit, os.remove, os.rename, io.popen ~= nil, debug, package.loadlib)\n`,
    );
    expect(lines).toEqual(['nil\tnil\tnil\tnil\ttrue\tnil\tnil']);
  });

  it('os.execute call is a Lua error', async () => {
    const policy = writePolicy({ 'init.lua': `os.execute('touch /tmp/x')\n` });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.message).toMatch(/^init\.lua:1: attempt to call a nil value/);
  });

  it('io.lines names the missing access', async () => {
    const policy = writePolicy({
      'init.lua': `for line in io.lines('/etc/hosts') do end\n`,
    });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.message).toMatch(/^init\.lua:1: io\.lines is not available/);
  });

  it('keeps the C locale', async () => {
    const lines = await printed(
      `print(os.setlocale(), os.setlocale('de_DE'))\n`,
    );
    expect(lines).toEqual(['C\tnil']);
  });

  it('accepts define_spool in a coroutine', async () => {
    const policy = writePolicy({
      'init.lua': inInit(
        `coroutine.wrap(function()\n  kumo.define_spool { name = 'data', path = '/s' }\nend)()`,
      ),
    });
    const { locations } = await loadPolicy(policy, { env: {} });
    expect(locations).toEqual(['init.lua:3']);
  });

  it('returns a fake os.tmpname', async () => {
    const lines = await printed(`print(os.tmpname())\nprint(os.tmpname())\n`);
    expect(lines).toEqual(['/tmp/spoolkit-policy-1', '/tmp/spoolkit-policy-2']);
  });

  it('rejects binary chunks', async () => {
    const lines = await printed(`print(load(string.dump(function() end)))\n`);
    expect(lines[0]).toContain('attempt to load a binary chunk');
  });

  it('rejects __gc metamethods', async () => {
    const policy = writePolicy({
      'init.lua': `setmetatable({}, { __gc = function() while true do end end })\n`,
    });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.message).toMatch(
      /^init\.lua:1: __gc metamethods are not available/,
    );
  });

  it('stubs unknown kumo functions', async () => {
    const lines = await printed(
      `print(kumo.start_esmtp_listener { listen = '0:25' })\nprint(kumo.crypto.load_key('x'))\nprint(kumo.json_encode({}))\n`,
    );
    expect(lines).toEqual(['nil', 'nil', 'nil']);
  });

  it('splits strings with kumo.string.split', async () => {
    const lines = await printed(
      `local parts = kumo.string.split('a,b,,c', ',')\nprint(#parts, parts[1], parts[3], parts[4])\n`,
    );
    expect(lines).toEqual(['4\ta\t\tc']);
  });

  it('caches results with kumo.memoize', async () => {
    const lines = await printed(`
local calls = 0
local double = kumo.memoize(function(x) calls = calls + 1 return x * 2 end, { name = 'double', ttl = '5 minutes', capacity = 10 })
print(double(2), double(2), double(3), calls)
`);
    expect(lines).toEqual(['4\t4\t6\t2']);
  });

  it('requires kumo as a module', async () => {
    const lines = await printed(`local k = require 'kumo'\nprint(k == kumo)\n`);
    expect(lines).toEqual(['true']);
  });

  it('rejects unknown modules', async () => {
    const policy = writePolicy({
      'init.lua': `local x = 1\nlocal socket = require 'socket'\n`,
    });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.message).toMatch(/^init\.lua:2: module 'socket' not found/);
  });

  it('ignores package.path edits', async () => {
    const policy = writePolicy({
      'init.lua': `package.path = package.path .. ';/opt/kumomta/share/?.lua'\npackage.path = '/etc/?.lua;' .. package.path\nlocal x = require 'passwd'\n`,
    });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.message).toMatch(/^init\.lua:3: module 'passwd' not found/);
  });
});

describe('sibling modules', () => {
  it('requires modules next to the policy', async () => {
    const policy = writePolicy({
      'init.lua': `local constants = require 'policy.constants'\nlocal helpers = require 'helpers'\nkumo.on('init', function()\n  helpers.define(constants.ROOT)\nend)\n`,
      'policy/constants.lua': `return { ROOT = '/from/module' }\n`,
      'helpers.lua': `local mod = {}\nfunction mod.define(root)\n  kumo.define_spool { name = 'data', path = root .. '/data' }\nend\nreturn mod\n`,
    });
    const { spools, locations } = await loadPolicy(policy, { env: {} });
    expect(spools[0]?.path).toBe('/from/module/data');
    expect(locations).toEqual(['helpers.lua:3']);
  });

  it('resolves init.lua in a directory', async () => {
    const policy = writePolicy({
      'init.lua': `print(require('lib').name)\n`,
      'lib/init.lua': `return { name = 'lib' }\n`,
    });
    const { logger, records } = recordingLogger();
    await loadPolicy(policy, { env: {}, logger });
    expect(records[0]?.message).toBe('lib');
  });

  it('reports errors at the module line', async () => {
    const policy = writePolicy({
      'init.lua': `require 'helpers'\n`,
      'helpers.lua': `local x = 1\nlocal y = {\n`,
    });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.message).toMatch(/^helpers\.lua:3: /);
  });

  it('reports a rejected spool at the module line', async () => {
    const policy = writePolicy({
      'init.lua': `local h = require 'helpers'\nkumo.on('init', function() h() end)\n`,
      'helpers.lua': `return function()\n  kumo.define_spool { name = 'data', path = '/s', kind = 'Rocks' }\nend\n`,
    });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.message).toMatch(/^helpers\.lua:2: /);
    expect(error.message).toContain("kind 'Rocks'");
  });

  it('rejects names that leave the directory', async () => {
    const policy = writePolicy({
      'sub/init.lua': `require '..secret'\n`,
      'secret.lua': 'return 1',
    });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.message).toMatch(
      /^init\.lua:1: module '\.\.secret' not found/,
    );
  });

  it('prefers a file over a policy-extras stand-in', async () => {
    const policy = writePolicy({
      'init.lua': `print(require('policy-extras.shaping').source)\n`,
      'policy-extras/shaping.lua': `return { source = 'file' }\n`,
    });
    const { logger, records } = recordingLogger();
    await loadPolicy(policy, { env: {}, logger });
    expect(records[0]?.message).toBe('file');
  });

  it('rejects a module that requires itself', async () => {
    const policy = writePolicy({
      'init.lua': `require 'loop'\n`,
      'loop.lua': `require 'loop'\nreturn 1\n`,
    });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.message).toMatch(
      /^loop\.lua:1: module 'loop' requires itself/,
    );
  });
});

describe('pattern guard', () => {
  it('matches short strings as usual', async () => {
    const lines = await printed(
      `print(string.match('10.1.2.3', '^(.*)%.%d+$'), (('a=b'):gsub('(%w+)=(%w+)', '%2=%1')))\n`,
    );
    expect(lines).toEqual(['10.1.2\tb=a']);
  });

  it('rejects backtracking on a long string', async () => {
    const policy = writePolicy({
      'init.lua': `local s = ('a'):rep(100000)\nlocal found = s:find(('.-'):rep(8) .. 'b')\n`,
    });
    const error = await rejection(loadPolicy(policy, { env: {} }));
    expect(error.code).toBe(SpoolErrorCode.PolicyInvalid);
    expect(error.message).toMatch(
      /^init\.lua:2: string\.find: the pattern has 8 repetition/,
    );
  });

  it('allows plain find on a long string', async () => {
    const lines = await printed(
      `print(('x'):rep(100000):find('.-b', 1, true))\n`,
    );
    expect(lines).toEqual(['nil']);
  });
});
