import type { MachineInfo } from '../machine.js';
import type { BaselineRatio, Measurements, TargetCheck } from './targets.js';

/** Everything one benchmark run writes to its JSON file. */
export interface BenchReport extends Measurements {
  /**
   * How long each run lasted: `full` timings or `--smoke` ones. A narrowed
   * run of full length is `full` too, and `narrowedBy` marks it as narrowed.
   */
  mode: 'full' | 'smoke';
  /** The options that narrowed the run, such as `--kinds`; empty for a whole run. */
  narrowedBy: string[];
  /** Whether the operations ran the raw baseline against itself (`--control`). */
  control: boolean;
  /** Turns each side of an operation took per run (`--slices`). */
  slices: number;
  startedAt: string;
  seconds: number;
  machine: MachineInfo;
  targets: TargetCheck[];
  /**
   * Each backend's throughput against its raw baseline's, per operation
   * and lifecycle configuration: the ratios bench.md prints. Control runs
   * compare the baseline with itself.
   */
  ratios: BaselineRatio[];
  /** Sections that threw, with the error message; the others still ran. */
  errors: { section: string; message: string }[];
}
