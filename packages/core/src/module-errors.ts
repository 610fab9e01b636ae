import { errnoCode } from './errors.js';

/**
 * Returns whether `error` is Node's failure to find the module `name`
 * itself. Node quotes the name it could not find, so the test looks for
 * the quoted name. A bare substring would also match the path of an
 * installed module whose own dependency or native addon is missing, which
 * needs `npm rebuild` rather than `npm install`.
 */
export function isModuleNotFound(error: unknown, name: string): boolean {
  const code = errnoCode(error);
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    String((error as Error)?.message).includes(`'${name}'`)
  );
}

/**
 * Returns the first line of an error's message. Node appends a require
 * stack, and node-gyp-build the paths it searched, on further lines.
 */
export function firstLineOf(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  return message.split('\n', 1)[0] ?? '';
}
