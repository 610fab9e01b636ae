import path from 'node:path';
import { SpoolError, SpoolErrorCode } from '@spoolkit/core';
import {
  decorateFunction,
  type LuaEngine,
  LuaFactory,
  type LuaState,
  type LuaWasm,
} from 'wasmoon';
import { DeadlineHook, LUA_OK, loadChunk } from './lua-api.js';
import { type PolicyRun, topMessage } from './policy-run.js';
import { PRELUDE } from './prelude.js';

/** Limits of one evaluation. */
export interface EngineLimits {
  timeoutMs: number;
  memoryLimitBytes: number;
  availableParallelism: number;
}

/** The outcome of one policy run. */
export interface PolicyOutcome {
  run: PolicyRun;
  /** The `lua_pcall` status. */
  status: number;
  /** The Lua error message, or `undefined` when the policy ran to the end. */
  message: string | undefined;
}

/** Time finalizers get while the Lua state closes, in ms. */
const CLOSE_TIMEOUT_MS = 500;

let factory: Promise<LuaFactory> | undefined;

/**
 * Returns the process's one `LuaFactory`. Creating a factory compiles the
 * wasm module, so it is done once; a failed start is retried next time.
 */
function getFactory(): Promise<LuaFactory> {
  if (factory === undefined) {
    const created = new LuaFactory();
    factory = created
      .getLuaModule()
      .then(() => created)
      .catch((error: unknown) => {
        factory = undefined;
        throw error;
      });
  }
  return factory;
}

/**
 * Returns the size of the shared wasm heap in bytes. It grows to the
 * largest evaluation so far and never shrinks; tests use it to check that
 * engines are closed.
 */
export async function wasmHeapBytes(): Promise<number> {
  const lua = await (await getFactory()).getLuaModule();
  return lua.module.HEAPU8.byteLength;
}

/**
 * Runs the policy `source` in a fresh engine: the prelude, the policy
 * chunk, then its `pre_init` and `init` handlers. Returns the Lua error
 * message, or `undefined` when the policy ran to the end. Definitions and
 * rejected calls are recorded in the `PolicyRun` that `createRun` makes.
 * The engine is always closed.
 */
export async function runPolicy(
  createRun: (lua: LuaWasm) => PolicyRun,
  source: string,
  limits: EngineLimits,
): Promise<PolicyOutcome> {
  const engine = await (await getFactory()).createEngine({
    traceAllocations: true,
    enableProxy: false,
    injectObjects: false,
  });
  const lua = engine.global.lua;
  const run = createRun(lua);
  const hook = new DeadlineHook(lua, (where) => {
    run.timedOutAt ??= where;
  });
  try {
    const state = engine.global.newThread().address;
    startPrelude(engine, state, run, limits.availableParallelism);
    engine.global.setMemoryMax(limits.memoryLimitBytes);
    hook.deadline = Date.now() + limits.timeoutMs;
    hook.attach(state);

    const chunkName = `@${path.basename(run.policyPath)}`;
    const syntaxError = loadChunk(lua, state, source, chunkName);
    if (syntaxError !== undefined) {
      return { run, status: LUA_OK, message: syntaxError };
    }
    const status = lua.lua_pcallk(state, 1, 1, 0, 0, null);
    const message =
      status === LUA_OK && lua.lua_type(state, -1) <= 0
        ? undefined
        : topMessage(lua, state);
    return { run, status, message };
  } finally {
    closeEngine(engine, hook);
  }
}

/** Runs the prelude, which leaves the driver function on the stack. */
function startPrelude(
  engine: LuaEngine,
  state: LuaState,
  run: PolicyRun,
  parallelism: number,
): void {
  const lua = engine.global.lua;
  const thread = engine.global.stateToThread(state);
  const failure = loadChunk(lua, state, PRELUDE, '=spoolkit');
  if (failure !== undefined) {
    throw internalError(failure);
  }
  thread.pushValue(
    decorateFunction(run.define, {
      receiveThread: true,
      receiveArgsQuantity: true,
    }),
  );
  thread.pushValue(run.getenv);
  thread.pushValue(run.print);
  thread.pushValue(run.findModule);
  thread.pushValue(run.readModule);
  thread.pushValue(run.aborted);
  thread.pushValue(parallelism);
  if (lua.lua_pcallk(state, 7, 1, 0, 0, null) !== LUA_OK) {
    throw internalError(topMessage(lua, state));
  }
}

/**
 * Closes the engine. Finalizers a policy set with `__gc` run during the
 * close, so the main state gets a short time limit first.
 */
function closeEngine(engine: LuaEngine, hook: DeadlineHook): void {
  hook.deadline = Date.now() + CLOSE_TIMEOUT_MS;
  hook.attach(engine.global.address);
  try {
    engine.global.close();
  } finally {
    hook.dispose();
  }
}

function internalError(message: string): SpoolError {
  return new SpoolError(
    SpoolErrorCode.PolicyInvalid,
    `the spoolkit Lua prelude failed to start: ${message}; this is a bug in @spoolkit/config-lua, please report it`,
  );
}
