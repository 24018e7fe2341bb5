/**
 * Steps composed into one handler, each wrapping the rest: a step does its part, awaits `next()` for the
 * steps after it, and may act again on the way out (the exit steps clean the answer after the run). The
 * shape of Hono's compose.ts and of kubernetes-mcp-server's middleware chain.
 */
import type { Call, Step } from './call.ts';

export function compose(steps: readonly Step[]): (call: Call) => Promise<void> {
  return (call) => {
    let reached = -1;
    const dispatch = (index: number): Promise<void> => {
      // A step that called next() twice would run the rest (and the tool) twice.
      if (index <= reached) return Promise.reject(new Error('a gate step called next() more than once'));
      reached = index;
      const step = steps[index];
      if (step === undefined) return Promise.resolve();
      try {
        return step(call, () => dispatch(index + 1));
      } catch (error) {
        // A step that throws before returning its promise fails the same way as one that rejects.
        return Promise.reject(error);
      }
    };
    return dispatch(0);
  };
}
