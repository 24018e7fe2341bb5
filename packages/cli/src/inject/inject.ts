/**
 * Offline injection over many inputs. Every document goes through `injectManifests`, the same decision and
 * patch the webhook applies, and every report remembers the input it came from.
 */
import { type ClusterFacts, type InjectorConfig, injectManifests, type ObjectReport } from '@podmcp/injector';
import { splitDocuments } from './documents.ts';
import type { Source } from './sources.ts';

export interface SourcedReport extends ObjectReport {
  /** The file as the user named it, or `<stdin>`. */
  readonly source: string;
}

export interface InjectedStream {
  readonly output: string;
  readonly reports: readonly SourcedReport[];
}

const SEPARATOR = '---\n';

/**
 * Documents go in one at a time and are joined here with exactly one separator, whatever markers the input
 * had, so that running inject on its own output gives the same bytes back.
 */
export function injectSources(
  sources: readonly Source[],
  config: InjectorConfig,
  cluster: ClusterFacts,
): InjectedStream {
  const outputs: string[] = [];
  const reports: SourcedReport[] = [];
  for (const source of sources) {
    for (const document of splitDocuments(source)) {
      const result = injectManifests(document, config, cluster);
      outputs.push(result.output);
      for (const report of result.reports) reports.push({ source: source.name, ...report });
    }
  }
  return { output: outputs.join(SEPARATOR), reports };
}
