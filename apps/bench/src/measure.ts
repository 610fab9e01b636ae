import { monitorEventLoopDelay } from 'node:perf_hooks';
import { GCProfiler } from 'node:v8';
import * as hdr from 'hdr-histogram-js';

/** Timer interval of the event-loop delay monitor, in milliseconds. */
const DELAY_RESOLUTION_MS = 1;

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
  /**
   * V8 full (mark-compact) collections per second. In the bench's small
   * heap their number depends on how often the code under test allocates.
   * On a 2-core machine their background marking competes with the thread
   * pool, so this figure explains many gaps between a backend and its
   * baseline.
   */
  fullGcPerSecond: number;
}

/** When a run of operations stops: after `count` operations or `seconds`, whichever comes first. */
export interface RunLimit {
  /** Maximum operations; `Infinity` for a run limited by time alone. */
  count: number;
  /** Time after which no new operation starts, in seconds. At least one operation always runs. @default Infinity */
  seconds?: number;
}

/**
 * Times operations over one or more runs and adds them up, so a
 * measurement can pause for untimed work between runs (such as storing
 * entries again before more removes). Throughput, CPU time, latency and
 * event-loop delay cover only the time spent inside `run`. Over several
 * runs, the event-loop p99 is the highest p99 of a single run.
 */
export class OperationTimer {
  readonly #histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });
  #delay: EventLoopDelay = { maxMs: 0, p99Ms: 0 };
  #operations = 0;
  #seconds = 0;
  #cpuUs = 0;
  #fullGcs = 0;

  /** Seconds timed so far, over every run. */
  get seconds(): number {
    return this.#seconds;
  }

  /**
   * Runs `operation(i)` for i = 0, 1, … with at most `concurrency` calls in
   * flight until `limit` is reached, and returns how many ran. Rejects with
   * the first operation's error once the calls already started finish.
   */
  async run(
    concurrency: number,
    limit: RunLimit,
    operation: (index: number) => Promise<unknown>,
  ): Promise<number> {
    const deadline = performance.now() + (limit.seconds ?? Infinity) * 1000;
    let next = 0;
    let failure: unknown;

    const worker = async (): Promise<void> => {
      while (next < limit.count && failure === undefined) {
        if (next > 0 && performance.now() >= deadline) {
          return;
        }
        const index = next++;
        const started = process.hrtime.bigint();
        try {
          await operation(index);
        } catch (error) {
          failure ??= error;
          return;
        }
        this.#histogram.recordValue(
          Number(process.hrtime.bigint() - started) / 1000,
        );
      }
    };

    // A fresh monitor per run: a re-enabled one records the pause since its last tick as delay.
    const delay = startDelayMonitor();
    const collections = startFullGcCount();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const workers = Array.from(
      { length: Math.min(concurrency, limit.count) },
      worker,
    );
    await Promise.all(workers);
    this.#seconds += (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    this.#fullGcs += collections.stop();
    const reading = delay.stop();
    this.#delay = {
      maxMs: Math.max(this.#delay.maxMs, reading.maxMs),
      p99Ms: Math.max(this.#delay.p99Ms, reading.p99Ms),
    };
    if (failure !== undefined) {
      throw failure;
    }
    this.#cpuUs += cpu.user + cpu.system;
    this.#operations += next;
    return next;
  }

  /**
   * Returns the totals over every run and frees the histogram; call it
   * once. `operations` replaces the count of calls in the rates, for calls
   * that each do many operations (such as a walk over every entry).
   */
  finish(operations = this.#operations): RunStats {
    const stats: RunStats = {
      operations,
      seconds: this.#seconds,
      perSecond: operations / this.#seconds,
      latencyUs: {
        p50: this.#histogram.getValueAtPercentile(50),
        p99: this.#histogram.getValueAtPercentile(99),
        max: this.#histogram.maxValue,
      },
      cpuUsPerOperation: this.#cpuUs / Math.max(1, operations),
      eventLoop: this.#delay,
      fullGcPerSecond: this.#fullGcs / this.#seconds,
    };
    this.#histogram.destroy();
    return stats;
  }
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
  const timer = new OperationTimer();
  await timer.run(concurrency, { count }, operation);
  return timer.finish();
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
  const collections = startFullGcCount();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const fullGcs = collections.stop();
  const count = operations(result);
  const stats: RunStats = {
    operations: count,
    seconds,
    perSecond: count / seconds,
    latencyUs: { p50: 0, p99: 0, max: 0 },
    cpuUsPerOperation: (cpu.user + cpu.system) / Math.max(1, count),
    eventLoop: delay.stop(),
    fullGcPerSecond: fullGcs / seconds,
  };
  return { result, stats };
}

/**
 * Counts V8's full (mark-compact) collections from now until `stop`.
 * `GCProfiler` reports them when it stops, where a `PerformanceObserver`
 * would deliver the last ones after the run ended.
 */
function startFullGcCount(): { stop(): number } {
  const profiler = new GCProfiler();
  profiler.start();
  return {
    stop() {
      const { statistics } = profiler.stop();
      return statistics.filter((gc) => gc.gcType === 'MarkSweepCompact').length;
    },
  };
}

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
