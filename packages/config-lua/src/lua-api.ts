import { type LuaState, LuaType, type LuaWasm } from 'wasmoon';

/** `lua_pcallk`'s and `luaL_loadbufferx`'s success status. */
export const LUA_OK = 0;

/** `LUA_ERRMEM`: an allocation failed, here because of the memory limit. */
export const LUA_ERRMEM = 4;

const LUA_MASKCOUNT = 8;

/** Instructions between two checks of the time limit. */
const HOOK_INSTRUCTIONS = 1000;

/**
 * Reads the string at `index` exactly. Returns `undefined` when the value
 * is not a string, or when it contains a NUL byte or invalid UTF-8, which a JS
 * string cannot carry unchanged.
 */
export function readExactString(
  lua: LuaWasm,
  state: LuaState,
  index: number,
): string | undefined {
  if (lua.lua_type(state, index) !== LuaType.String) {
    return undefined;
  }
  const lengthPointer = lua.module._malloc(8);
  try {
    lua.module.setValue(lengthPointer, 0, 'i32');
    const text = lua.lua_tolstring(state, index, lengthPointer);
    const length = lua.module.getValue(lengthPointer, 'i32');
    return lua.module.lengthBytesUTF8(text) === length ? text : undefined;
  } finally {
    lua.module._free(lengthPointer);
  }
}

/**
 * Returns the `file:line` of the innermost policy function on the stack,
 * skipping host functions and the `spoolkit` prelude, or `undefined` when
 * there is none (for example when a C function called the host).
 */
export function policyLocation(
  lua: LuaWasm,
  state: LuaState,
  firstLevel: number,
): string | undefined {
  for (let level = firstLevel; level < firstLevel + 8; level++) {
    lua.luaL_where(state, level);
    const where = lua.lua_tolstring(state, -1, null);
    lua.lua_settop(state, -2);
    if (where !== '' && !where.startsWith('spoolkit:')) {
      return where.replace(/: $/, '');
    }
  }
  return undefined;
}

/**
 * Loads `source` as a text chunk named `chunkName` and leaves the function
 * on the stack. Returns the Lua error message when the source does not
 * compile (it is left on the stack instead).
 */
export function loadChunk(
  lua: LuaWasm,
  state: LuaState,
  source: string,
  chunkName: string,
): string | undefined {
  const size = lua.module.lengthBytesUTF8(source);
  const buffer = lua.module._malloc(size + 1);
  try {
    lua.module.stringToUTF8(source, buffer, size + 1);
    const status = lua.luaL_loadbufferx(state, buffer, size, chunkName, 't');
    if (status === LUA_OK) {
      return undefined;
    }
    return lua.lua_tolstring(state, -1, null) ?? 'the chunk failed to load';
  } finally {
    lua.module._free(buffer);
  }
}

/** A count hook that raises a Lua error once its deadline has passed. */
export class DeadlineHook {
  /** Milliseconds since the epoch after which Lua code is stopped. */
  deadline = Number.POSITIVE_INFINITY;
  readonly #lua: LuaWasm;
  readonly #pointer: number;

  /** `onTimeout` receives the `file:line` where the code was stopped. */
  constructor(lua: LuaWasm, onTimeout: (where: string) => void) {
    this.#lua = lua;
    this.#pointer = lua.module.addFunction((running: LuaState) => {
      if (Date.now() <= this.deadline) {
        return;
      }
      const where = policyLocation(lua, running, 0) ?? '?';
      onTimeout(where);
      lua.lua_pushstring(
        running,
        `${where}: the policy ran past its time limit`,
      );
      lua.lua_error(running);
    }, 'vii');
  }

  /**
   * Checks the deadline on `state` every 1000 instructions. Coroutines
   * created on `state` afterwards inherit the hook.
   */
  attach(state: LuaState): void {
    this.#lua.lua_sethook(
      state,
      this.#pointer,
      LUA_MASKCOUNT,
      HOOK_INSTRUCTIONS,
    );
  }

  /** Frees the hook's function slot. Call it only after the state is closed. */
  dispose(): void {
    this.#lua.module.removeFunction(this.#pointer);
  }
}
