/** Waits for "nothing in flight" during a drain: each wait ends when wake() is called or its time is up. */
export interface IdleWaiters {
  /** Called when the last request in flight settles. */
  wake(): void;
  wait(ms: number): Promise<void>;
}

export function createIdleWaiters(): IdleWaiters {
  const waiters = new Set<() => void>();
  return {
    wake() {
      for (const wake of waiters) wake();
    },
    wait(ms) {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        waiters.add(done);
      });
    },
  };
}
