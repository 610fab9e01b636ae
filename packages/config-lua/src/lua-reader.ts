import { type LuaState, LuaType, type LuaWasm } from 'wasmoon';
import { readExactString } from './lua-api.js';

/** A Lua table read into JS, with the Lua number subtypes it contained. */
export interface LuaTableValue {
  /** The table's fields. Integers up to 2^53 - 1 in size are numbers, larger ones bigint. */
  value: Record<string, unknown>;
  /**
   * Dotted paths (such as `rocks_params.write_buffer_size`) of the values
   * that were Lua floats. `2.0` and `2` are the same JS number, so this is
   * the only place the difference survives.
   */
  floats: Set<string>;
}

/** A value the reader cannot convert; `path` names it. */
export class LuaReadError extends Error {
  readonly path: string;

  constructor(path: string, message: string) {
    super(message);
    this.path = path;
  }
}

const MAX_DEPTH = 4;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_MIN = -SAFE_MAX;

/**
 * Reads the table at `index` with the raw C API, without metamethods, so
 * that Lua integers stay exact. Keys must be strings. Throws `LuaReadError`
 * for functions, userdata, threads, non-string keys, cycles and nesting
 * deeper than 4 tables. Leaves the stack as it found it.
 */
export function readLuaTable(
  lua: LuaWasm,
  state: LuaState,
  index: number,
  rootLabel: string,
): LuaTableValue {
  const top = lua.lua_gettop(state);
  const floats = new Set<string>();
  try {
    const value = readTable(lua, state, index, '', {
      rootLabel,
      floats,
      depth: 0,
      open: new Set(),
    });
    return { value, floats };
  } finally {
    lua.lua_settop(state, top);
  }
}

interface ReadContext {
  /** The table's own name in messages. */
  rootLabel: string;
  floats: Set<string>;
  depth: number;
  /** Pointers of the tables being read, to detect cycles. */
  open: Set<number>;
}

function readTable(
  lua: LuaWasm,
  state: LuaState,
  index: number,
  path: string,
  context: ReadContext,
): Record<string, unknown> {
  const name = path === '' ? context.rootLabel : path;
  const table = lua.lua_absindex(state, index);
  const pointer = lua.lua_topointer(state, table);
  if (context.open.has(pointer)) {
    throw new LuaReadError(path, `${name} contains itself`);
  }
  if (context.depth >= MAX_DEPTH) {
    throw new LuaReadError(path, `${name} nests tables too deeply`);
  }
  if (lua.lua_checkstack(state, 3) === 0) {
    throw new LuaReadError(
      path,
      `${name} cannot be read: the Lua stack is full`,
    );
  }

  context.open.add(pointer);
  context.depth++;
  const result: Record<string, unknown> = {};
  lua.lua_pushnil(state);
  while (lua.lua_next(state, table) !== 0) {
    const key = readKey(lua, state, name);
    const keyPath = path === '' ? key : `${path}.${key}`;
    result[key] = readValue(lua, state, -1, keyPath, context);
    lua.lua_settop(state, -2);
  }
  context.depth--;
  context.open.delete(pointer);
  return result;
}

function readKey(lua: LuaWasm, state: LuaState, name: string): string {
  const type = lua.lua_type(state, -2);
  if (type === LuaType.String) {
    const key = readExactString(lua, state, -2);
    if (key === undefined) {
      throw new LuaReadError(name, `${name} has a key that is not valid UTF-8`);
    }
    return key;
  }
  if (type === LuaType.Number) {
    throw new LuaReadError(
      name,
      `${name} has a positional value; write every field as key = value`,
    );
  }
  throw new LuaReadError(
    name,
    `${name} has a key of type ${lua.lua_typename(state, type)}; keys must be names`,
  );
}

function readValue(
  lua: LuaWasm,
  state: LuaState,
  index: number,
  path: string,
  context: ReadContext,
): unknown {
  const type = lua.lua_type(state, index);
  switch (type) {
    case LuaType.Boolean:
      return lua.lua_toboolean(state, index) !== 0;
    case LuaType.Number:
      if (lua.lua_isinteger(state, index) !== 0) {
        return toJsInteger(lua.lua_tointegerx(state, index, null));
      }
      context.floats.add(path);
      return lua.lua_tonumberx(state, index, null);
    case LuaType.String: {
      const text = readExactString(lua, state, index);
      if (text === undefined) {
        throw new LuaReadError(
          path,
          `${path} is a string with a NUL byte or invalid UTF-8`,
        );
      }
      return text;
    }
    case LuaType.Table:
      return readTable(lua, state, index, path, context);
    default:
      throw new LuaReadError(
        path,
        `${path} is a ${lua.lua_typename(state, type)}, which a spool definition cannot contain`,
      );
  }
}

function toJsInteger(value: bigint): number | bigint {
  return value >= SAFE_MIN && value <= SAFE_MAX ? Number(value) : value;
}

/** Formats a Lua float the way Lua prints it: `2.0`, `0.5`, `1e+20`. */
export function formatLuaFloat(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e16) {
    return value.toFixed(1);
  }
  return String(value);
}
