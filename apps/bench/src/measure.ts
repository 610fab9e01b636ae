import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';

/** Event-loop delay over one run, in milliseconds. */
export interface EventLoopDelay {
  maxMs: number;
  p99Ms: number;
}

/** Throughput and per-operation latency of one timed run. */
export interface RunStats {
  operations: number;
  seconds: number;
  perSecond: number;
  /** Latency of one operation, in microseconds. */
  latencyUs: { p50: number; p99: number; max: number };
  /**
   * CPU time of the whole process (every thread, user plus system) per
   * operation, in microseconds. Less sensitive than throughput to other
   * load on the machine, so it shows a backend's own overhead.
   */
  cpuUsPerOperation: number;
  eventLoop: EventLoopDelay;
}

/**
 * Runs `operation(i)` for i in [0, count) with at most `concurrency` calls
 * in flight, and measures throughput, latency and event-loop delay.
 * Rejects with the first operation's error; calls already started finish
 * first.
 */
export async function timeOperations(
  count: number,
  concurrency: number,
  operation: (index: number) => Promise<unknown>,
): Promise<RunStats> {
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const delay = startDelayMonitor();
  let next = 0;
  let failure: unknown;

  const worker = async (): Promise<void> => {
    while (next < count && failure === undefined) {
      const index = next++;
      const started = process.hrtime.bigint();
      try {
        await operation(index);
      } catch (error) {
        failure ??= error;
        return;
      }
      histogram.recordValue(Number(process.hrtime.bigint() - started) / 1000);
    }
  };

  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const workers = Array.from({ length: Math.min(concurrency, count) }, worker);
  await Promise.all(workers);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const eventLoop = delay.stop();
  if (failure !== undefined) {
    throw failure;
  }

  const stats: RunStats = {
    operations: count,
    seconds,
    perSecond: count / seconds,
    latencyUs: {
      p50: histogram.getValueAtPercentile(50),
      p99: histogram.getValueAtPercentile(99),
      max: histogram.maxValue,
    },
    cpuUsPerOperation: (cpu.user + cpu.system) / count,
    eventLoop,
  };
  histogram.destroy();
  return stats;
}

/**
 * Times one call of `work` that performs `operations` operations itself,
 * such as an enumeration, with the event-loop delay it caused.
 */
export async function timeWork<T>(
  operations: (result: T) => number,
  work: () => Promise<T>,
): Promise<{ result: T; stats: RunStats }> {
  const delay = startDelayMonitor();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const count = operations(result);
  const stats: RunStats = {
    operations: count,
    seconds,
    perSecond: count / seconds,
    latencyUs: { p50: 0, p99: 0, max: 0 },
    cpuUsPerOperation: (cpu.user + cpu.system) / Math.max(1, count),
    eventLoop: delay.stop(),
  };
  return { result, stats };
}

/** Timer interval of the event-loop delay monitor, in milliseconds. */
const DELAY_RESOLUTION_MS = 1;

/**
 * Starts `monitorEventLoopDelay`; `stop` returns its readings. Node's
 * histogram records the whole interval between two runs of its timer, so
 * an idle loop reads about the resolution; that is subtracted here.
 */
export function startDelayMonitor(): { stop(): EventLoopDelay } {
  const monitor = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  monitor.enable();
  const excess = (nanoseconds: number): number =>
    Math.max(0, nanoseconds / 1e6 - DELAY_RESOLUTION_MS);
  return {
    stop() {
      monitor.disable();
      const reading = {
        maxMs: monitor.count === 0 ? 0 : excess(monitor.max),
        p99Ms: monitor.count === 0 ? 0 : excess(monitor.percentile(99)),
      };
      monitor.reset();
      return reading;
    },
  };
}

/** Peak memory during a stretch of work, and its growth over the start, in bytes. */
export interface MemoryPeak {
  peakRssBytes: number;
  rssGrowthBytes: number;
  /** Peak of V8 heap used plus memory outside the heap (buffers), minus its start. */
  heapGrowthBytes: number;
}

/**
 * Samples memory on a timer and on request. RSS growth alone can hide
 * work that reuses memory freed earlier, such as memory left over from
 * filling the spool, so the JS heap plus external memory is tracked too.
 */
export class MemorySampler {
  readonly #rssStart: number;
  readonly #heapStart: number;
  #rssPeak: number;
  #heapPeak: number;
  readonly #timer: NodeJS.Timeout;

  /** Collects garbage first when Node runs with `--expose-gc`, then reads the start values. */
  constructor(intervalMs = 20) {
    globalThis.gc?.();
    const usage = process.memoryUsage();
    this.#rssStart = usage.rss;
    this.#heapStart = usage.heapUsed + usage.external;
    this.#rssPeak = this.#rssStart;
    this.#heapPeak = this.#heapStart;
    this.#timer = setInterval(() => this.sample(), intervalMs);
  }

  /** Reads memory now; call it from long stretches without timers too. */
  sample(): void {
    const usage = process.memoryUsage();
    this.#rssPeak = Math.max(this.#rssPeak, usage.rss);
    this.#heapPeak = Math.max(this.#heapPeak, usage.heapUsed + usage.external);
  }

  /** Stops sampling and returns the peaks. */
  stop(): MemoryPeak {
    clearInterval(this.#timer);
    this.sample();
    return {
      peakRssBytes: this.#rssPeak,
      rssGrowthBytes: this.#rssPeak - this.#rssStart,
      heapGrowthBytes: this.#heapPeak - this.#heapStart,
    };
  }
}
