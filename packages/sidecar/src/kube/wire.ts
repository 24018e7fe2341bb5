import { dumpYaml } from '@kubernetes/client-node';

/** What JSON carries: the wire form of an object after serialization. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** An object's wire form as YAML, one line per scalar however long, as kubectl shows it. */
export function wireYaml(object: unknown): string {
  return dumpYaml(object, { lineWidth: -1, noRefs: true });
}
