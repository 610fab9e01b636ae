/**
 * The logging interface spoolkit libraries accept. A `pino` logger fits it
 * as it is; libraries never print on their own.
 */
export interface SpoolLogger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

const ignore = (): void => {};

/** A logger that discards everything; the default. */
export const silentLogger: SpoolLogger = {
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
};
