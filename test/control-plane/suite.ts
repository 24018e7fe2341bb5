/**
 * How an e2e test file gets its control plane: one per file (files run in separate processes and must not
 * collide), started at import time with top-level await so a suite can be skipped as a whole.
 *
 * The one rule for any suite that cannot run (no control plane, a KUBECONFIG where a local one is needed, a
 * missing client toolchain): a developer's run skips it with the reason; a CI run fails with that reason, so a
 * broken set-up can never pass as "nothing to test". Every such site goes through `skipOrFail` (test/ci.ts).
 */
import { after } from 'node:test';
import { skipOrFail } from '../ci.ts';
import {
  type ControlPlane,
  type ControlPlaneOptions,
  ControlPlaneUnavailableError,
  startControlPlane,
} from './harness.ts';

export { isCi, skipOrFail } from '../ci.ts';

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
    if (!(error instanceof ControlPlaneUnavailableError)) throw error;
    return { plane: undefined, skip: skipOrFail(`no control plane: ${error.message}`) };
  }
  after(() => plane.stop());
  if (options.needsLocal && plane.external) {
    const reason = 'needs the local control plane (the API server must reach a loopback webhook); KUBECONFIG is set';
    return { plane: undefined, skip: skipOrFail(reason) };
  }
  return { plane, skip: false };
}
