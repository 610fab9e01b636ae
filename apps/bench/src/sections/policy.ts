import { fileURLToPath } from 'node:url';
import { withScratchDir } from '../scratch.js';
import type { BenchSettings } from '../settings.js';

/** The bundled 200-line policy. */
export const POLICY_FIXTURE = fileURLToPath(
  new URL('../fixtures/policy-200.lua', import.meta.url),
);

/** Times of policy evaluation, in milliseconds. */
export interface PolicyResult {
  policyPath: string;
  lines: number;
  /** Time to import `@spoolkit/config-lua`, not part of the cold time. */
  importMs: number;
  /** The first evaluation in this process, which also compiles the Lua VM. */
  coldMs: number;
  warmRuns: number;
  warmMedianMs: number;
  warmP99Ms: number;
  warmMaxMs: number;
  /** Spools the policy defined, as a check that it ran to the end. */
  spools: number;
}

/**
 * Evaluates the bundled policy once cold and `policyRuns` times warm. The
 * cold time is only cold when this runs before anything else in the
 * process touches the Lua VM.
 */
export async function benchPolicy(
  settings: BenchSettings,
  lines: number,
): Promise<PolicyResult> {
  // Imported here so that a broken policy loader fails this section only.
  const importStarted = performance.now();
  const { loadPolicy } = await import('@spoolkit/config-lua');
  const importMs = performance.now() - importStarted;

  return withScratchDir('policy', async (spoolRoot) => {
    const evaluate = async (): Promise<{ ms: number; spools: number }> => {
      const started = performance.now();
      const result = await loadPolicy(POLICY_FIXTURE, {
        env: { SPOOL_ROOT: spoolRoot },
        availableParallelism: 8,
      });
      return { ms: performance.now() - started, spools: result.spools.length };
    };

    const cold = await evaluate();
    const warm: number[] = [];
    for (let run = 0; run < settings.policyRuns; run++) {
      warm.push((await evaluate()).ms);
    }
    warm.sort((a, b) => a - b);
    const at = (fraction: number): number =>
      warm[Math.min(warm.length - 1, Math.ceil(fraction * warm.length) - 1)] ??
      0;

    return {
      policyPath: POLICY_FIXTURE,
      lines,
      importMs,
      coldMs: cold.ms,
      warmRuns: warm.length,
      warmMedianMs: at(0.5),
      warmP99Ms: at(0.99),
      warmMaxMs: warm[warm.length - 1] ?? 0,
      spools: cold.spools,
    };
  });
}
