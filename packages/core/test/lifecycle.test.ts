import { describe, expect, it } from 'vitest';
import { KeyedQueue, SpoolErrorCode, SpoolLifecycle } from '../src/index.js';

/** A promise with its resolve function, to hold work open from outside. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Lets every queued promise callback run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('KeyedQueue', () => {
  it('runs work for one key in call order', async () => {
    const queue = new KeyedQueue();
    const order: number[] = [];
    const tasks = [30, 0, 10, 0, 20].map((delay, index) =>
      queue.run('id', async () => {
        await new Promise((resolve) => setTimeout(resolve, delay));
        order.push(index);
      }),
    );
    await Promise.all(tasks);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('runs different keys concurrently', async () => {
    const queue = new KeyedQueue();
    const blocker = gate();
    const started: string[] = [];
    const first = queue.run('a', async () => {
      started.push('a');
      await blocker.promise;
    });
    const second = queue.run('b', async () => {
      started.push('b');
    });
    await second;
    expect(started).toEqual(['a', 'b']);
    blocker.open();
    await first;
  });

  it('continues after a failure', async () => {
    const queue = new KeyedQueue();
    const failed = queue.run('id', async () => {
      throw new Error('first fails');
    });
    const next = queue.run('id', async () => 'second runs');
    await expect(failed).rejects.toThrow('first fails');
    await expect(next).resolves.toBe('second runs');
  });

  it('turns a synchronous throw into a rejection', async () => {
    const queue = new KeyedQueue();
    const work = (() => {
      throw new Error('thrown synchronously');
    }) as () => Promise<void>;
    let result: Promise<void> | undefined;
    expect(() => {
      result = queue.run('id', work);
    }).not.toThrow();
    await expect(result).rejects.toThrow('thrown synchronously');
  });

  it('accepts work that returns a plain value', async () => {
    const queue = new KeyedQueue();
    const plain = (() => 42) as unknown as () => Promise<number>;

    await expect(queue.run('id', plain)).resolves.toBe(42);
    await expect(queue.run('id', async () => 'next')).resolves.toBe('next');
    expect(queue.size).toBe(0);
  });

  it('forgets keys when idle', async () => {
    const queue = new KeyedQueue();
    const blocker = gate();
    const running = queue.run('id', () => blocker.promise);
    expect(queue.size).toBe(1);
    blocker.open();
    await running;
    await settle();
    expect(queue.size).toBe(0);
  });
});

describe('KeyedQueue onSettled', () => {
  it('runs after success and failure', async () => {
    const queue = new KeyedQueue();
    const seen: string[] = [];

    const ok = queue.run(
      'a',
      async () => 'value',
      () => seen.push('ok'),
    );
    const failed = queue.run(
      'a',
      async () => {
        throw new Error('boom');
      },
      () => seen.push('failed'),
    );

    await expect(ok).resolves.toBe('value');
    await expect(failed).rejects.toThrow('boom');
    expect(seen).toEqual(['ok', 'failed']);
    expect(queue.size).toBe(0);
  });

  it('runs before the caller sees the result', async () => {
    const queue = new KeyedQueue();
    let settledFirst = false;

    await queue.run(
      'a',
      async () => undefined,
      () => {
        settledFirst = true;
      },
    );

    expect(settledFirst).toBe(true);
  });
});

describe('KeyedQueue mapError', () => {
  it('rejects with what mapError returns, and leaves results alone', async () => {
    const queue = new KeyedQueue();
    const mapError = (error: unknown) =>
      new Error(`mapped: ${(error as Error).message}`);

    const failed = queue.run(
      'a',
      async () => {
        throw new Error('raw');
      },
      undefined,
      mapError,
    );
    const ok = queue.run('a', async () => 'value', undefined, mapError);

    await expect(failed).rejects.toThrow('mapped: raw');
    await expect(ok).resolves.toBe('value');
  });

  it('keeps the original error when mapError returns nothing', async () => {
    const queue = new KeyedQueue();
    const original = new Error('original');

    const failed = queue.run(
      'a',
      async () => {
        throw original;
      },
      undefined,
      () => undefined,
    );

    await expect(failed).rejects.toBe(original);
  });

  it('maps a synchronous throw and takes what mapError throws', async () => {
    const queue = new KeyedQueue();
    const work = (() => {
      throw new Error('sync');
    }) as () => Promise<void>;

    const failed = queue.run('a', work, undefined, async (error) => {
      throw new Error(`thrown: ${(error as Error).message}`);
    });

    await expect(failed).rejects.toThrow('thrown: sync');
    expect(queue.size).toBe(0);
  });

  it('starts the next call for the key only once the error is mapped', async () => {
    const queue = new KeyedQueue();
    const mapping = gate();
    const order: string[] = [];
    const settled: string[] = [];

    const failed = queue.run(
      'a',
      async () => {
        throw new Error('raw');
      },
      () => settled.push('first'),
      async (error) => {
        order.push('mapping');
        await mapping.promise;
        order.push('mapped');
        return error;
      },
    );
    const next = queue.run('a', async () => {
      order.push('next');
    });
    await settle();
    expect(order).toEqual(['mapping']);
    expect(settled).toEqual([]);

    mapping.open();
    await expect(failed).rejects.toThrow('raw');
    await next;
    expect(order).toEqual(['mapping', 'mapped', 'next']);
    expect(settled).toEqual(['first']);
  });
});

describe('KeyedQueue mapValue', () => {
  it('resolves to what mapValue returns and rejects with what it throws', async () => {
    const queue = new KeyedQueue();
    const mapError = (error: unknown) =>
      new Error(`mapError saw: ${(error as Error).message}`);
    const mapValue = (value: string | undefined) => {
      if (value === undefined) {
        throw new Error('no value');
      }
      return value.length;
    };

    const found = queue.run(
      'a',
      async () => 'four',
      undefined,
      mapError,
      mapValue,
    );
    const missing = queue.run(
      'a',
      async () => undefined,
      undefined,
      mapError,
      mapValue,
    );

    await expect(found).resolves.toBe(4);
    // What mapValue throws is the caller's error as it is, not passed to mapError.
    await expect(missing).rejects.toThrow(/^no value$/);
    expect(queue.size).toBe(0);
  });

  it('leaves rejections of work to mapError', async () => {
    const queue = new KeyedQueue();
    let mapped = 0;

    const failed = queue.run(
      'a',
      async (): Promise<string> => {
        throw new Error('raw');
      },
      undefined,
      (error) => new Error(`mapped: ${(error as Error).message}`),
      (value) => {
        mapped += 1;
        return value;
      },
    );

    await expect(failed).rejects.toThrow('mapped: raw');
    expect(mapped).toBe(0);
  });

  it('runs onSettled and frees the key when mapValue throws', async () => {
    const lifecycle = new SpoolLifecycle('data', '/spool/data');
    const queue = new KeyedQueue();
    const order: string[] = [];

    const missing = lifecycle.runKeyed(
      'load',
      queue,
      'a',
      async () => undefined,
      undefined,
      () => {
        throw new Error('not found');
      },
    );
    const next = lifecycle.runKeyed('load', queue, 'a', async () => {
      order.push('next');
    });

    await expect(missing).rejects.toThrow('not found');
    await next;
    expect(order).toEqual(['next']);
    expect(queue.size).toBe(0);
    // close() resolves only when the failed call no longer counts as in flight.
    await lifecycle.close(async () => {});
  });
});

describe('KeyedQueue keys', () => {
  it('treats names of Object.prototype members as plain keys', async () => {
    const queue = new KeyedQueue();
    const keys = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
    const blocker = gate();
    const order: string[] = [];

    const calls = keys.flatMap((key) => [
      queue.run(key, async () => {
        await blocker.promise;
        order.push(`${key} 1`);
      }),
      queue.run(key, async () => {
        order.push(`${key} 2`);
      }),
    ]);
    expect(queue.size).toBe(keys.length);
    blocker.open();
    await Promise.all(calls);

    for (const key of keys) {
      expect(order.indexOf(`${key} 1`)).toBeLessThan(order.indexOf(`${key} 2`));
    }
    expect(queue.size).toBe(0);
  });

  it('keeps running keys across map replacement', async () => {
    const queue = new KeyedQueue();
    const blocker = gate();
    const order: string[] = [];
    const first = queue.run('held', async () => {
      await blocker.promise;
      order.push('first');
    });
    const second = queue.run('held', async () => {
      order.push('second');
    });

    // Enough other keys come and go to replace the map twice.
    for (let index = 0; index < 2500; index += 1) {
      await queue.run(`key ${index}`, async () => index);
    }
    expect(queue.size).toBe(1);
    const third = queue.run('held', async () => {
      order.push('third');
    });
    blocker.open();
    await Promise.all([first, second, third]);

    expect(order).toEqual(['first', 'second', 'third']);
    expect(queue.size).toBe(0);
  });

  it('counts a key once while calls wait behind it', async () => {
    const queue = new KeyedQueue();
    const blocker = gate();

    const calls = [
      queue.run('a', () => blocker.promise),
      queue.run('a', async () => undefined),
      queue.run('a', async () => undefined),
      queue.run('b', async () => undefined),
    ];
    expect(queue.size).toBe(2);
    await settle();
    expect(queue.size).toBe(1);
    blocker.open();
    await Promise.all(calls);
    expect(queue.size).toBe(0);
  });
});

describe('SpoolLifecycle run', () => {
  it('accepts work that returns a plain value and still closes', async () => {
    const lifecycle = new SpoolLifecycle('data', '/spool/data');
    const plain = (() => 7) as unknown as () => Promise<number>;

    await expect(lifecycle.run('compact', plain)).resolves.toBe(7);
    let released = false;
    await lifecycle.close(async () => {
      released = true;
    });
    expect(released).toBe(true);
  });
});

describe('SpoolLifecycle runKeyed', () => {
  it('keeps call order per key', async () => {
    const lifecycle = new SpoolLifecycle('data', '/spool/data');
    const queue = new KeyedQueue();
    const blocker = gate();
    const order: string[] = [];

    const first = lifecycle.runKeyed('store', queue, 'id', async () => {
      await blocker.promise;
      order.push('first');
    });
    const second = lifecycle.runKeyed('remove', queue, 'id', async () => {
      order.push('second');
    });
    await settle();
    blocker.open();
    await Promise.all([first, second]);

    expect(order).toEqual(['first', 'second']);
  });

  it('close waits for a keyed call', async () => {
    const lifecycle = new SpoolLifecycle('data', '/spool/data');
    const queue = new KeyedQueue();
    const blocker = gate();
    let released = false;

    const call = lifecycle.runKeyed('load', queue, 'id', () => blocker.promise);
    const closing = lifecycle.close(async () => {
      released = true;
    });
    await settle();
    expect(released).toBe(false);

    blocker.open();
    await call;
    await closing;
    expect(released).toBe(true);
  });

  it('rejects after close with SPOOL_CLOSED', async () => {
    const lifecycle = new SpoolLifecycle('data', '/spool/data');
    await lifecycle.close(async () => undefined);
    let ran = false;

    const call = lifecycle.runKeyed(
      'load',
      new KeyedQueue(),
      'id',
      async () => {
        ran = true;
      },
    );

    await expect(call).rejects.toMatchObject({ code: SpoolErrorCode.Closed });
    expect(ran).toBe(false);
  });
});

describe('SpoolLifecycle', () => {
  it('runs work while open', async () => {
    const lifecycle = new SpoolLifecycle('data', '/spool/data');
    await expect(lifecycle.run('load', async () => 7)).resolves.toBe(7);
    expect(lifecycle.isClosing).toBe(false);
  });

  it('close waits for work in flight', async () => {
    const lifecycle = new SpoolLifecycle('data', '/spool/data');
    const blocker = gate();
    const events: string[] = [];
    const work = lifecycle.run('store', async () => {
      await blocker.promise;
      events.push('work done');
    });
    const closed = lifecycle.close(async () => {
      events.push('released');
    });
    await settle();
    expect(events).toEqual([]);
    blocker.open();
    await Promise.all([work, closed]);
    expect(events).toEqual(['work done', 'released']);
  });

  it('close waits for a lease', async () => {
    const lifecycle = new SpoolLifecycle('data', '/spool/data');
    const release = lifecycle.openLease();
    let released = false;
    const closed = lifecycle.close(async () => {
      released = true;
    });
    expect(lifecycle.closingSignal.aborted).toBe(true);
    await settle();
    expect(released).toBe(false);
    release();
    release();
    await closed;
    expect(released).toBe(true);
  });

  it('rejects work after close with SPOOL_CLOSED', async () => {
    const lifecycle = new SpoolLifecycle('data', '/spool/data');
    await lifecycle.close(async () => {});
    const error = await lifecycle
      .run('load', async () => 1)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: SpoolErrorCode.Closed,
      spool: 'data',
      path: '/spool/data',
    });
    expect((error as Error).message).toBe(
      "cannot load: spool 'data' at /spool/data is closed; open it again to use it",
    );
    expect(() => lifecycle.assertOpen('store')).toThrow(/cannot store/);
  });

  it('rejects work started during close', async () => {
    const lifecycle = new SpoolLifecycle('data', '/spool/data');
    const blocker = gate();
    const inFlight = lifecycle.run('store', () => blocker.promise);
    const closed = lifecycle.close(async () => {});
    await expect(lifecycle.run('store', async () => {})).rejects.toMatchObject({
      code: SpoolErrorCode.Closed,
    });
    blocker.open();
    await inFlight;
    await closed;
  });

  it('releases once on repeated close', async () => {
    const lifecycle = new SpoolLifecycle('data', '/spool/data');
    let releases = 0;
    const release = async () => {
      releases += 1;
    };
    const first = lifecycle.close(release);
    const second = lifecycle.close(release);
    expect(second).toBe(first);
    await second;
    expect(releases).toBe(1);
  });

  it('close rejects when release fails', async () => {
    const lifecycle = new SpoolLifecycle('data', '/spool/data');
    await expect(
      lifecycle.close(async () => {
        throw new Error('unlock failed');
      }),
    ).rejects.toThrow('unlock failed');
  });
});
