/**
 * How a test file gets the real node: started at import time (top-level await), stopped after the file. Where
 * the machine cannot run one (not Linux, not root, tools missing), the one rule for suites that cannot run
 * applies (`skipOrFail`): a developer's run skips with the reason, a CI run fails with it.
 */
import { after } from 'node:test';
import { skipOrFail } from '../ci.ts';
import { ControlPlaneUnavailableError, type RealNode, type RealNodeOptions, startRealNode } from './real-node.ts';

export interface SuiteRealNode {
  readonly node: RealNode | undefined;
  /** `false` when the node is up, else why the suite is skipped: pass it as node:test's `skip`. */
  readonly skip: string | false;
}

export async function realNodeForSuite(options: RealNodeOptions = {}): Promise<SuiteRealNode> {
  let node: RealNode;
  try {
    node = await startRealNode(options);
  } catch (error) {
    if (!(error instanceof ControlPlaneUnavailableError)) throw error;
    return { node: undefined, skip: skipOrFail(`no real node: ${error.message}`) };
  }
  after(() => node.stop());
  return { node, skip: false };
}
