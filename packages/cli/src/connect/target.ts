/**
 * What `podmcp connect` connects to, as the user types it: `deploy/NAME`, `sts/NAME`, `ds/NAME`, `pod/NAME`
 * (kubectl's short and long kind names are accepted), or a bare `NAME`, which is looked up as a Deployment,
 * then a StatefulSet, a DaemonSet and a Pod, in that order.
 */

export const TARGET_KINDS = ['deployment', 'statefulset', 'daemonset', 'pod'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export interface Target {
  /** Undefined for a bare NAME: every kind is tried, in TARGET_KINDS order. */
  readonly kind: TargetKind | undefined;
  readonly name: string;
}

const KIND_ALIASES: Readonly<Record<string, TargetKind>> = {
  deploy: 'deployment',
  deployment: 'deployment',
  deployments: 'deployment',
  'deployment.apps': 'deployment',
  sts: 'statefulset',
  statefulset: 'statefulset',
  statefulsets: 'statefulset',
  'statefulset.apps': 'statefulset',
  ds: 'daemonset',
  daemonset: 'daemonset',
  daemonsets: 'daemonset',
  'daemonset.apps': 'daemonset',
  po: 'pod',
  pod: 'pod',
  pods: 'pod',
};

/** The short form a user reads in messages: deploy/checkout. */
export const SHORT_KIND: Readonly<Record<TargetKind, string>> = {
  deployment: 'deploy',
  statefulset: 'sts',
  daemonset: 'ds',
  pod: 'pod',
};

// RFC 1123 subdomain: the rule for the names of every kind podmcp connects to.
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Parses the positional argument; the error says what is accepted. */
export function parseTarget(text: string): Target | { readonly error: string } {
  const slash = text.indexOf('/');
  const kindText = slash < 0 ? undefined : text.slice(0, slash).toLowerCase();
  const name = slash < 0 ? text : text.slice(slash + 1);
  let kind: TargetKind | undefined;
  if (kindText !== undefined) {
    kind = Object.hasOwn(KIND_ALIASES, kindText) ? KIND_ALIASES[kindText] : undefined;
    if (kind === undefined) {
      return {
        error: `unknown kind ${JSON.stringify(kindText)} in ${JSON.stringify(text)}: use deploy/NAME, sts/NAME, ds/NAME, pod/NAME or NAME`,
      };
    }
  }
  if (name.length === 0 || name.length > 253 || !NAME.test(name)) {
    return {
      error: `${JSON.stringify(name)} is not a valid name: lower-case letters, digits, "-" and ".", e.g. deploy/checkout`,
    };
  }
  return { kind, name };
}

export function describeTarget(kind: TargetKind, name: string): string {
  return `${SHORT_KIND[kind]}/${name}`;
}
