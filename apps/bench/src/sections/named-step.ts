/**
 * Runs one step of a section, such as a configuration's rounds, and puts
 * `label` in front of the message of any error it throws, so that the
 * report's "Sections that failed" names the step that failed. The error
 * thrown keeps the original as its `cause`.
 */
export async function namedStep<T>(
  label: string,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${label}: ${message}`, { cause: error });
  }
}
