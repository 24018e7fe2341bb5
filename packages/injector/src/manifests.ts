/**
 * Offline injection of YAML manifests (`podmcp inject`): finds each workload's pod template, runs the same
 * decide + buildPatch as the webhook, and applies the patch. Other kinds pass through untouched.
 */
import type { V1Pod } from '@kubernetes/client-node';
import fastJsonPatch from 'fast-json-patch';
import { type Document, isAlias, isMap, isNode, isScalar, type Node, parseAllDocuments, visit } from 'yaml';
import type { ClusterFacts } from './cluster-facts.ts';
import type { InjectorConfig } from './config.ts';
import { decide, type ReasonCode } from './decide.ts';
import { buildPatch } from './patch.ts';

const TEMPLATE_PATHS: Record<string, readonly string[]> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

export interface ObjectReport {
  readonly object: string;
  readonly action: 'inject' | 'skip' | 'deny';
  readonly reason: ReasonCode;
  readonly messages: readonly string[];
  readonly warnings: readonly string[];
}

export interface InjectionResult {
  readonly output: string;
  readonly reports: readonly ObjectReport[];
}

export function injectManifests(text: string, config: InjectorConfig, cluster: ClusterFacts): InjectionResult {
  const documents = parseAllDocuments(text);
  const reports: ObjectReport[] = [];
  const rendered: string[] = [];
  for (const document of documents) {
    if ('errors' in document && document.errors.length > 0) {
      throw new Error(`not valid YAML: ${document.errors[0]?.message ?? 'unknown error'}`);
    }
    const doc = document as Document;
    // Empty documents (a leading or doubled `---`) parse as a null scalar; dropping them keeps output stable.
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
    if (isMap(doc.contents)) {
      expandAliases(doc);
      injectDocument(doc, [], config, cluster, reports);
    }
    // The separators are ours to write, so a document's own `---` must not print a second one.
    if (doc.directives) doc.directives.docStart = null;
    rendered.push(doc.toString({ lineWidth: 0 }));
  }
  return { output: rendered.join('---\n'), reports };
}

function injectDocument(
  doc: Document,
  at: readonly (string | number)[],
  config: InjectorConfig,
  cluster: ClusterFacts,
  reports: ObjectReport[],
): void {
  const kind = doc.getIn([...at, 'kind']);
  if (kind === 'List') {
    const items = doc.getIn([...at, 'items']) as { items?: unknown[] } | undefined;
    (items?.items ?? []).forEach((_, index) => {
      injectDocument(doc, [...at, 'items', index], config, cluster, reports);
    });
    return;
  }
  if (typeof kind !== 'string' || !(kind in TEMPLATE_PATHS)) return;
  const templatePath = [...at, ...(TEMPLATE_PATHS[kind] ?? [])];
  const name = String(doc.getIn([...at, 'metadata', 'name']) ?? doc.getIn([...at, 'metadata', 'generateName']) ?? '');
  const template = toPlain(doc.getIn(templatePath)) as V1Pod | undefined;
  if (template === undefined) return;
  const pod = withJobOwner(template, kind);

  const decision = decide(pod, config, cluster);
  reports.push({
    object: `${kind}/${name}`,
    action: decision.action,
    reason: decision.reason,
    messages: decision.messages,
    warnings: decision.warnings,
  });
  if (decision.action !== 'inject') return;
  const patch = buildPatch(template, decision.plan, config);
  const injected = fastJsonPatch.applyPatch(template, patch, true, false).newDocument;
  // No anchors: the sidecar's probes share objects in memory, and manifests read better without `&a1`/`*a1`.
  const node = doc.createNode(injected, { aliasDuplicateObjects: false });
  if (templatePath.length === 0) doc.contents = node;
  else doc.setIn(templatePath, node);
}

/**
 * Replaces every alias with a copy of what it points to, and drops the anchors. A pod template is rebuilt as a
 * whole, so an alias into it (or out of it) would otherwise dangle or read back as the alias's own name.
 */
function expandAliases(doc: Document): void {
  let aliased = false;
  visit(doc, {
    Alias(_key, node) {
      aliased = true;
      const target = node.resolve(doc);
      return isNode(target) ? (target.clone() as Node) : undefined;
    },
  });
  if (!aliased) return;
  visit(doc, {
    Node(_key, node) {
      if (!isAlias(node) && 'anchor' in node) delete (node as { anchor?: string }).anchor;
    },
  });
}

/** Job pods are owned by their Job at admission; offline, the kind says the same thing. */
function withJobOwner(template: V1Pod, kind: string): V1Pod {
  if (kind !== 'Job' && kind !== 'CronJob') return template;
  return {
    ...template,
    metadata: {
      ...template.metadata,
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'offline', uid: 'offline' }],
    },
  };
}

function toPlain(node: unknown): unknown {
  if (node && typeof node === 'object' && 'toJSON' in node && typeof node.toJSON === 'function') return node.toJSON();
  return node;
}
