/**
 * How an e2e test file gets its control plane: one per file (files run in separate processes and must not
 * collide), started at import time with top-level await so a suite can be skipped as a whole.
 *
 * Where the control plane cannot be had (no Go to build it), a developer's run skips the e2e suites with the
 * reason; a CI run (CI=true) fails instead, so a broken build can never pass as "nothing to test".
 */
import { after } from 'node:test';
import {
  type ControlPlane,
  type ControlPlaneOptions,
  ControlPlaneUnavailableError,
  startControlPlane,
} from './harness.ts';

export interface SuiteControlPlane {
  readonly plane: ControlPlane | undefined;
  /** `false` when the control plane is up, else why the suite is skipped: pass it as node:test's `skip`. */
  readonly skip: string | false;
}

export async function controlPlaneForSuite(
  options: ControlPlaneOptions & { readonly needsLocal?: boolean } = {},
): Promise<SuiteControlPlane> {
  let plane: ControlPlane;
  try {
    plane = await startControlPlane(options);
  } catch (error) {
    if (error instanceof ControlPlaneUnavailableError && process.env.CI !== 'true') {
      const reason = `no control plane: ${error.message}`;
      process.stderr.write(`[e2e] skipped: ${reason}\n`);
      return { plane: undefined, skip: reason };
    }
    throw error;
  }
  after(() => plane.stop());
  if (options.needsLocal && plane.external) {
    return { plane: undefined, skip: 'needs the local control plane (the API server must reach a loopback webhook)' };
  }
  return { plane, skip: false };
}
