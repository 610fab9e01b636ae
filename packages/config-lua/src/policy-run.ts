import fs from 'node:fs';
import path from 'node:path';
import {
  invalidDefinition,
  isSpoolError,
  type SpoolDefinition,
  SpoolError,
  SpoolErrorCode,
  type SpoolLogger,
} from '@spoolkit/core';
import { type LuaState, type LuaThread, LuaType, type LuaWasm } from 'wasmoon';
import { policyLocation, readExactString } from './lua-api.js';
import { LuaReadError, readLuaTable } from './lua-reader.js';
import type { SpoolChecker } from './spool-checks.js';

/** Lines of `print` output logged per evaluation; the rest are counted. */
const MAX_PRINTED_LINES = 100;

const MODULE_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** The policy and caller settings one evaluation needs. */
export interface PolicyRunInput {
  /** The policy file, absolute. */
  policyPath: string;
  env: Readonly<Record<string, string | undefined>>;
  logger: SpoolLogger;
  checker: SpoolChecker;
}

/**
 * The state of one policy evaluation and the host functions the prelude
 * calls. A JS exception would reach Lua as an opaque userdata, so the host
 * functions catch their failures and return messages instead.
 */
export class PolicyRun {
  /** `file:line` of each accepted `define_spool` call, in call order. */
  readonly locations: string[] = [];
  /** The first rejected `define_spool` call, even if the policy caught it. */
  failure: SpoolError | undefined;
  /** The `file:line` where the time limit stopped the policy, once it has. */
  timedOutAt: string | undefined;

  readonly #input: PolicyRunInput;
  readonly #lua: LuaWasm;
  readonly #modules = new Map<string, string>();
  #printed = 0;

  constructor(lua: LuaWasm, input: PolicyRunInput) {
    this.#lua = lua;
    this.#input = input;
  }

  /** The policy file, absolute. */
  get policyPath(): string {
    return this.#input.policyPath;
  }

  /** The accepted definitions, in call order. */
  get definitions(): SpoolDefinition[] {
    return this.#input.checker.definitions;
  }

  /** Host side of `kumo.define_spool(params)`; the prelude adds the phase. */
  readonly define = (thread: LuaThread): string | undefined => {
    const lua = this.#lua;
    const state = thread.address;
    const where = policyLocation(lua, state, 1) ?? '?';
    let spool: string | undefined;
    try {
      checkPhase(readExactString(lua, state, 2));
      const type = lua.lua_type(state, 1);
      if (type !== LuaType.Table) {
        throw invalidDefinition(
          `kumo.define_spool expects a table such as { name = 'data', path = '/var/spool/kumomta/data' }, got ${lua.lua_typename(state, type)}`,
        );
      }
      const table = readLuaTable(
        lua,
        state,
        1,
        'the table passed to kumo.define_spool',
      );
      spool =
        typeof table.value.name === 'string' ? table.value.name : undefined;
      this.#input.checker.check(table);
      this.locations.push(where);
      return undefined;
    } catch (error) {
      const failure = this.#locatedError(where, error, spool);
      this.failure ??= failure;
      return failure.message;
    }
  };

  /** Host side of `os.getenv`. */
  readonly getenv = (name: unknown): string | undefined => {
    if (typeof name !== 'string') {
      return undefined;
    }
    const value = this.#input.env[name];
    return typeof value === 'string' ? value : undefined;
  };

  /** Host side of `print` and `io.write`. */
  readonly print = (line: unknown): void => {
    const policy = this.#input.policyPath;
    this.#printed++;
    try {
      if (this.#printed <= MAX_PRINTED_LINES) {
        this.#input.logger.info({ policy }, String(line));
      } else if (this.#printed === MAX_PRINTED_LINES + 1) {
        this.#input.logger.warn(
          { policy, limit: MAX_PRINTED_LINES },
          'the policy printed more lines than are logged; the rest are dropped',
        );
      }
    } catch {
      // A failing logger must not become an opaque error inside Lua.
    }
  };

  /**
   * Host side of `require` for the policy's own modules: returns the chunk
   * name of `name` (`a.b` is `a/b.lua` or `a/b/init.lua` next to the
   * policy), or `undefined` when there is no such readable file.
   */
  readonly findModule = (name: unknown): string | undefined => {
    if (typeof name !== 'string' || !MODULE_NAME.test(name)) {
      return undefined;
    }
    const directory = path.dirname(this.#input.policyPath);
    const relative = name.split('.').join('/');
    for (const candidate of [`${relative}.lua`, `${relative}/init.lua`]) {
      try {
        const source = fs.readFileSync(path.join(directory, candidate), 'utf8');
        this.#modules.set(name, source);
        return candidate;
      } catch {
        // Not this candidate; try the next, then report the module missing.
      }
    }
    return undefined;
  };

  /** Host side of `require`: the source `findModule` read. */
  readonly readModule = (name: unknown): string =>
    this.#modules.get(String(name)) ?? '';

  /** Host side of the prelude's check for a passed time limit. */
  readonly aborted = (): boolean => this.timedOutAt !== undefined;

  #locatedError(
    where: string,
    error: unknown,
    spool: string | undefined,
  ): SpoolError {
    const context = { path: this.#input.policyPath, spool, cause: error };
    if (error instanceof LuaReadError || isSpoolError(error)) {
      return new SpoolError(
        SpoolErrorCode.PolicyInvalid,
        `${where}: ${error.message}`,
        context,
      );
    }
    return new SpoolError(
      SpoolErrorCode.PolicyInvalid,
      `${where}: checking the spool definition failed: ${String(error)}`,
      context,
    );
  }
}

function checkPhase(phase: string | undefined): void {
  if (phase === 'init') {
    return;
  }
  const when =
    phase === 'load'
      ? 'while the policy file was loading'
      : phase === 'pre_init'
        ? 'in the pre_init handler'
        : 'after the init handler returned';
  throw invalidDefinition(
    `kumo.define_spool was called ${when}; call it inside kumo.on('init', function() ... end)`,
  );
}

/** Reads the string at the top of `state`, for error results. */
export function topMessage(lua: LuaWasm, state: LuaState): string {
  return (
    readExactString(lua, state, -1) ??
    `(error object is a ${lua.lua_typename(state, lua.lua_type(state, -1))} value)`
  );
}
