/**
 * Pod issues as an ordered table of detector rules (pod-rules.ts). The table is read top to bottom: each
 * group runs its rules over one kind of subject (the pod, each of its containers, each probe failure); in a
 * `first` group the first rule that fires ends the search for that subject, so order says which explanation
 * wins. A rule marked `explains` makes its container explained for the groups below it.
 */
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import type { Issue, IssueDraft } from './issue.ts';
import { containersOf, isCompletedInit } from './pod-facts.ts';
import {
  type ContainerFacts,
  cannotStart,
  crashLoop,
  evicted,
  exitedWithError,
  imagePull,
  nodeLost,
  notReady,
  oomKilled,
  type PodFacts,
  type ProbeFacts,
  pendingTooLong,
  probeFailing,
  type Rule,
  restarted,
  startedAfterProbes,
  stuckTerminating,
  unschedulable,
} from './pod-rules.ts';
import { probeFailures, resolvedBeforeReady } from './probes.ts';

export interface RuleEntry<F> {
  readonly rule: Rule<F>;
  /** The issue's container counts as explained for the groups after this one. */
  readonly explains: boolean;
}

interface Group<Over extends string, F> {
  readonly over: Over;
  /** all: every rule that fires reports; first: the first rule that fires ends the subject's search. */
  readonly match: 'all' | 'first';
  readonly rules: readonly RuleEntry<F>[];
}

export type RuleGroup =
  | Group<'pod', PodFacts>
  | Group<'container', ContainerFacts>
  | Group<'probe failure', ProbeFacts>;

const explains = <F>(rule: Rule<F>): RuleEntry<F> => ({ rule, explains: true });
const reports = <F>(rule: Rule<F>): RuleEntry<F> => ({ rule, explains: false });

export const POD_ISSUE_RULES: readonly RuleGroup[] = [
  { over: 'pod', match: 'all', rules: [reports(evicted), reports(nodeLost), reports(stuckTerminating)] },
  {
    over: 'container',
    match: 'first',
    rules: [
      explains(oomKilled),
      explains(crashLoop),
      explains(imagePull),
      explains(cannotStart),
      explains(exitedWithError),
      reports(restarted),
    ],
  },
  { over: 'probe failure', match: 'first', rules: [reports(startedAfterProbes), explains(probeFailing)] },
  { over: 'container', match: 'first', rules: [reports(notReady)] },
  { over: 'pod', match: 'first', rules: [reports(unschedulable), reports(pendingTooLong)] },
];

/** Every issue the table finds in one pod, in table order (and container order within a group). */
export function podIssues(pod: V1Pod, events: readonly CoreV1Event[], windowMinutes: number, now: Date): Issue[] {
  const name = pod.metadata?.name ?? '?';
  const explained = new Set<string>();
  const facts: PodFacts = { pod, name, events, windowMinutes, now, explained };
  return POD_ISSUE_RULES.flatMap((group) => runGroup(group, facts, explained)).map((draft) => ({
    ...draft,
    pod: name,
  }));
}

function runGroup(group: RuleGroup, facts: PodFacts, explained: Set<string>): IssueDraft[] {
  switch (group.over) {
    case 'pod':
      return runRules(group, [facts], explained);
    case 'container':
      return runRules(group, containerFacts(facts), explained);
    case 'probe failure':
      return runRules(group, probeFacts(facts), explained);
  }
}

function runRules<F>(group: Group<string, F>, subjects: readonly F[], explained: Set<string>): IssueDraft[] {
  const drafts: IssueDraft[] = [];
  for (const subject of subjects) {
    for (const { rule, explains } of group.rules) {
      const draft = rule(subject);
      if (draft === undefined) continue;
      drafts.push(draft);
      if (explains && draft.container) explained.add(draft.container);
      if (group.match === 'first') break;
    }
  }
  return drafts;
}

/** Containers with a status, completed init containers left out: they did their job. */
function containerFacts(facts: PodFacts): ContainerFacts[] {
  return containersOf(facts.pod).flatMap((entry) =>
    entry.status && !isCompletedInit(entry) ? [{ ...facts, entry, status: entry.status }] : [],
  );
}

function probeFacts(facts: PodFacts): ProbeFacts[] {
  return probeFailures(facts.name, facts.events).map((failure) => ({
    ...facts,
    failure,
    resolved: resolvedBeforeReady(failure, facts.pod),
  }));
}
