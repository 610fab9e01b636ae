/**
 * The Lua chunk that builds the sandbox and the `kumo` module before the
 * policy runs. It is loaded as `=spoolkit` and called with the host
 * functions. It returns the driver, which runs the policy chunk and then
 * its `pre_init` and `init` handlers.
 *
 * Host functions, in argument order:
 * 1. `define(params, phase)`: validates one `kumo.define_spool` call and
 *    returns an error message or nothing;
 * 2. `getenv(name)`: the caller's environment;
 * 3. `print(line)`: sends a line to the logger;
 * 4. `find_module(name)`: the chunk name of a sibling module, or nothing;
 * 5. `read_module(name)`: that module's source;
 * 6. `aborted()`: true once the time limit has passed;
 * 7. the integer `kumo.available_parallelism()` returns.
 */
export const PRELUDE = String.raw`
local host_define, host_getenv, host_print, host_find_module, host_read_module,
  host_aborted, parallelism = ...

local getinfo = debug.getinfo
debug = nil
package.loaded.debug = nil

local raw_load, raw_pcall, raw_xpcall = load, pcall, xpcall
local raw_resume, raw_close = coroutine.resume, coroutine.close
local type, error, tostring, setmetatable, rawset =
  type, error, tostring, setmetatable, rawset
local concat = table.concat

local function caller_location(level)
  local info = getinfo(level + 1, 'Sl')
  if info == nil or info.currentline == nil or info.currentline < 0 then
    return '?'
  end
  return info.short_src .. ':' .. info.currentline
end

-- A time-limit or memory error must not be swallowed by the policy's own
-- pcall, or a loop around pcall would never stop.
local function rethrow_abort(ok, ...)
  if not ok then
    local message = ...
    if message == 'not enough memory' or host_aborted() then
      error(message, 0)
    end
  end
  return ok, ...
end

pcall = function(...) return rethrow_abort(raw_pcall(...)) end
xpcall = function(...) return rethrow_abort(raw_xpcall(...)) end
coroutine.resume = function(...) return rethrow_abort(raw_resume(...)) end
coroutine.close = function(...) return rethrow_abort(raw_close(...)) end

-- Lua runs __gc finalizers with hooks off, so a finalizer that loops
-- could never be stopped. An object is only finalized when its metatable
-- has __gc at setmetatable time, so checking here is enough.
local raw_setmetatable, rawget = setmetatable, rawget
_G.setmetatable = function(object, metatable)
  if type(metatable) == 'table' and rawget(metatable, '__gc') ~= nil then
    error('__gc metamethods are not available: spoolkit runs policies without finalizers', 2)
  end
  return raw_setmetatable(object, metatable)
end

-- The time limit is checked between VM instructions, so one long C call
-- cannot be stopped. Lua's pattern matcher backtracks: a pattern with k
-- repetition items can take about n^(k+1) steps on an n-byte string (n^k
-- when anchored with ^). Such calls are rejected when that estimate
-- exceeds 10^8 steps, which only long strings reach.
local MATCH_STEP_BUDGET = 1e8
local raw_find, raw_match, raw_gmatch, raw_gsub =
  string.find, string.match, string.gmatch, string.gsub

local function check_pattern(function_name, subject, pattern, plain)
  if plain or type(subject) ~= 'string' or type(pattern) ~= 'string' then
    return
  end
  local simplified = raw_gsub(raw_gsub(pattern, '%%.', 'x'), '%b[]', 'x')
  local _, repetitions = raw_gsub(simplified, '[%*%+%-%?]', '')
  -- An anchored pattern is tried at one position only.
  local exponent = repetitions
  if raw_find(pattern, '^', 1, true) ~= 1 then
    exponent = exponent + 1
  end
  if (#subject + 1) ^ exponent > MATCH_STEP_BUDGET then
    error(function_name .. ': the pattern has ' .. repetitions ..
      ' repetition item(s), too many for a ' .. #subject ..
      '-byte string, so matching could take hours; match a shorter string or simplify the pattern', 3)
  end
end

string.find = function(s, pattern, init, plain)
  check_pattern('string.find', s, pattern, plain)
  return raw_find(s, pattern, init, plain)
end
string.match = function(s, pattern, init)
  check_pattern('string.match', s, pattern)
  return raw_match(s, pattern, init)
end
string.gmatch = function(s, pattern, init)
  check_pattern('string.gmatch', s, pattern)
  return raw_gmatch(s, pattern, init)
end
string.gsub = function(s, pattern, replacement, count)
  check_pattern('string.gsub', s, pattern)
  return raw_gsub(s, pattern, replacement, count)
end

-- Binary chunks are rejected: crafted bytecode can corrupt the VM.
load = function(chunk, name, _mode, env)
  if env == nil then
    return raw_load(chunk, name, 't')
  end
  return raw_load(chunk, name, 't', env)
end
dofile = function()
  error('dofile is not available: spoolkit evaluates policies without host file access', 2)
end
loadfile = function()
  return nil, 'loadfile is not available: spoolkit evaluates policies without host file access'
end

local pack = table.pack

-- tostring() of every argument; table.pack keeps this linear.
local function to_strings(...)
  local values = pack(...)
  for i = 1, values.n do
    values[i] = tostring(values[i])
  end
  return values
end

print = function(...)
  host_print(concat(to_strings(...), '\t'))
end

-- os.execute crashes Node inside wasmoon; the others would touch files.
os.execute = nil
os.exit = nil
os.remove = nil
os.rename = nil
-- Every engine shares one wasm instance, so a locale change would leak
-- into later evaluations. Queries report the C locale; changes fail.
os.setlocale = function(locale)
  if locale == nil then
    return 'C'
  end
  return nil
end
os.getenv = function(name)
  if type(name) ~= 'string' then
    error("bad argument #1 to 'getenv' (string expected, got " .. type(name) .. ')', 2)
  end
  -- A host function that returns undefined gives no value at all; Lua's
  -- os.getenv returns exactly one, so tonumber(os.getenv 'X') works.
  local value = host_getenv(name)
  return value
end
local temp_count = 0
os.tmpname = function()
  temp_count = temp_count + 1
  return '/tmp/spoolkit-policy-' .. temp_count
end

local function no_file_access(function_name)
  return function()
    error(function_name .. ' is not available: spoolkit evaluates policies without host file access', 2)
  end
end
local fake_stream = {}
function fake_stream.write(self, ...)
  host_print(concat(to_strings(...)))
  return self
end
function fake_stream.close() return true end
function fake_stream.flush(self) return self end
function fake_stream.setvbuf() return true end
io = {
  open = function(name)
    return nil, tostring(name) .. ': No such file or directory', 2
  end,
  lines = no_file_access('io.lines'),
  popen = no_file_access('io.popen'),
  tmpfile = no_file_access('io.tmpfile'),
  input = no_file_access('io.input'),
  output = function() return fake_stream end,
  read = function() return nil end,
  write = function(...) return fake_stream.write(fake_stream, ...) end,
  close = function() return true end,
  type = function() return nil end,
  stdout = fake_stream,
  stderr = fake_stream,
}
package.loaded.io = io
package.loadlib = nil
package.path = '/opt/kumomta/etc/policy/?.lua;/opt/kumomta/share/?.lua'
package.cpath = ''

-- Stand-ins -------------------------------------------------------------

local stubs = setmetatable({}, { __mode = 'k' })

-- A namespace for KumoMTA functions spoolkit does not run: every member is
-- another namespace, and calling one returns nil.
local function namespace()
  local object = {}
  stubs[object] = true
  return setmetatable(object, {
    __index = function(self, key)
      local child = namespace()
      rawset(self, key, child)
      return child
    end,
    __call = function() return nil end,
  })
end

-- A policy-extras helper object: members and call results are helper
-- objects too, so chains such as shaping:setup{}.get_egress_path_config
-- keep working.
local function helper()
  local object = {}
  stubs[object] = true
  return setmetatable(object, {
    __index = function(self, key)
      local child = helper()
      rawset(self, key, child)
      return child
    end,
    __call = function() return helper() end,
  })
end

local kumo = namespace()
local handlers = {}
local in_handler = false
local phase = 'load'

rawset(kumo, 'on', function(event, handler)
  if type(event) ~= 'string' then
    error("bad argument #1 to 'kumo.on' (string expected, got " .. type(event) .. ')', 2)
  end
  if type(handler) ~= 'function' and not stubs[handler] then
    error("bad argument #2 to 'kumo.on' (function expected, got " .. type(handler) .. ')', 2)
  end
  if in_handler then
    error("kumo.on('" .. event .. "') was called inside an event handler; register handlers at the top level of the policy", 2)
  end
  local previous = handlers[event]
  if previous ~= nil then
    error('the ' .. event .. ' event already has a handler defined at ' .. previous.location .. '; define one handler per event', 2)
  end
  handlers[event] = { fn = handler, location = caller_location(2) }
end)

rawset(kumo, 'define_spool', function(params)
  local message = host_define(params, phase)
  if message ~= nil then
    error(message, 0)
  end
end)

rawset(kumo, 'available_parallelism', function()
  return parallelism
end)

local kumo_string = namespace()
rawset(kumo, 'string', kumo_string)
rawset(kumo_string, 'split', function(text, separator)
  if type(text) ~= 'string' then
    error("bad argument #1 to 'kumo.string.split' (string expected, got " .. type(text) .. ')', 2)
  end
  if type(separator) ~= 'string' or separator == '' then
    error("bad argument #2 to 'kumo.string.split' (non-empty string expected)", 2)
  end
  local parts = {}
  local start = 1
  while true do
    local first, last = text:find(separator, start, true)
    if first == nil then
      parts[#parts + 1] = text:sub(start)
      return parts
    end
    parts[#parts + 1] = text:sub(start, first - 1)
    start = last + 1
  end
end)

rawset(kumo, 'memoize', function(fn, _options)
  if type(fn) ~= 'function' then
    error("bad argument #1 to 'kumo.memoize' (function expected, got " .. type(fn) .. ')', 2)
  end
  local cache = {}
  return function(...)
    local key_parts = pack(...)
    for i = 1, key_parts.n do
      local value = key_parts[i]
      key_parts[i] = type(value) .. ':' .. tostring(value)
    end
    local key = concat(key_parts, '\0', 1, key_parts.n)
    local entry = cache[key]
    if entry == nil then
      entry = table.pack(fn(...))
      cache[key] = entry
    end
    return table.unpack(entry, 1, entry.n)
  end
end)

-- Policies derive a network from their own address; a loopback answer
-- keeps string.match on the result working.
local kumo_dns = namespace()
rawset(kumo, 'dns', kumo_dns)
rawset(kumo_dns, 'lookup_addr', function() return { '127.0.0.1' } end)

package.loaded.kumo = kumo
_G.kumo = kumo

-- require ---------------------------------------------------------------

local loaded = package.loaded
local loading = {}

require = function(name)
  if type(name) ~= 'string' then
    error("bad argument #1 to 'require' (string expected, got " .. type(name) .. ')', 2)
  end
  local value = loaded[name]
  if value ~= nil then
    return value
  end
  -- A file next to the policy wins, as /opt/kumomta/etc/policy comes
  -- first on kumod's package.path.
  local chunk_name = host_find_module(name)
  if chunk_name == nil and name:find('^policy%-extras%.') then
    value = helper()
    loaded[name] = value
    return value
  end
  if chunk_name == nil then
    error("module '" .. name .. "' not found: spoolkit provides 'kumo', stand-ins for 'policy-extras.*' and the .lua files in the policy's directory", 2)
  end
  if loading[name] then
    error("module '" .. name .. "' requires itself in a loop", 2)
  end
  local chunk, message = raw_load(host_read_module(name), '@' .. chunk_name, 't')
  if chunk == nil then
    error(message, 0)
  end
  loading[name] = true
  value = chunk(name, chunk_name)
  loading[name] = nil
  if value == nil then
    value = loaded[name]
    if value == nil then
      value = true
    end
  end
  loaded[name] = value
  return value
end

-- Driver ----------------------------------------------------------------

local function fire(event)
  local entry = handlers[event]
  if entry == nil then
    return
  end
  phase = event
  in_handler = true
  entry.fn()
  in_handler = false
  phase = 'done'
end

local function run(policy)
  policy()
  fire('pre_init')
  fire('init')
end

local function describe_error(err)
  if type(err) == 'string' then
    return err
  end
  return '(error object is a ' .. type(err) .. ' value)'
end

return function(policy)
  local ok, message = raw_xpcall(run, describe_error, policy)
  if ok then
    return nil
  end
  return describe_error(message)
end
`;
