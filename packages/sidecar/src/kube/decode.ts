/**
 * JSON from the API server into the shape the client library's models describe (their field names, times as
 * Dates, only the fields a model declares, in its order), as plain objects. The generated deserializer
 * builds a class instance per object and re-reads each field's type text on every call; here each model's
 * fields are read from its attribute table once, and fields that hold only JSON (strings, numbers, maps of
 * them, free-form `any`) are passed through without a walk.
 */
import * as models from '@kubernetes/client-node';

type Plan =
  | { readonly kind: 'plain' }
  | { readonly kind: 'date' }
  | { readonly kind: 'array'; readonly of: Plan }
  | { readonly kind: 'map'; readonly of: Plan }
  | { readonly kind: 'model'; readonly fields: () => ReadonlyMap<string, Field> };

interface Field {
  /** The name in the JSON. */
  readonly json: string;
  /** The name in the model (differs for a few: `continue` → `_continue`, `from` → `_from`). */
  readonly name: string;
  readonly plan: Plan;
  /** Its place in the model: fields come out in the model's order, as the generated deserializer writes them. */
  readonly index: number;
}

interface AttributeType {
  readonly name: string;
  readonly baseName: string;
  readonly type: string;
}

type ModelClass = { getAttributeTypeMap?: () => readonly AttributeType[] };

const PLAIN: Plan = { kind: 'plain' };
const PRIMITIVES = new Set(['string', 'boolean', 'double', 'integer', 'long', 'float', 'number', 'any']);
const ARRAY = /^Array<(.+)>$/;
const MAP = /^\{ \[key: string\]: (.+); \}$/;

const plans = new Map<string, Plan>();

/** `data` (parsed JSON) as the model named `type` (V1Pod, V1PodList, …) holds it. */
export function decodeAs<T>(data: unknown, type: string): T {
  return decode(data, planOf(type)) as T;
}

function decode(data: unknown, plan: Plan): unknown {
  if (data === undefined || data === null) return data;
  switch (plan.kind) {
    case 'plain':
      return data;
    case 'date':
      return new Date(data as string);
    case 'array':
      return (data as unknown[]).map((item) => decode(item, plan.of));
    case 'map': {
      // Map keys come from the cluster: defineProperty keeps a key named __proto__ a key, not the prototype.
      const out: Record<string, unknown> = {};
      for (const key in data as Record<string, unknown>) {
        const value = decode((data as Record<string, unknown>)[key], plan.of);
        Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    case 'model': {
      // The fields present, not every field the model declares: most objects fill few of them.
      const source = data as Record<string, unknown>;
      const fields = plan.fields();
      const present: Field[] = [];
      let ordered = true;
      for (const key in source) {
        const field = fields.get(key);
        if (field === undefined || source[key] === undefined) continue;
        if (present.length > 0 && (present.at(-1) as Field).index > field.index) ordered = false;
        present.push(field);
      }
      if (!ordered) present.sort((a, b) => a.index - b.index);
      const out: Record<string, unknown> = {};
      for (const field of present) {
        const value = source[field.json];
        out[field.name] = field.plan === PLAIN ? value : decode(value, field.plan);
      }
      return out;
    }
  }
}

function planOf(type: string): Plan {
  const known = plans.get(type);
  if (known) return known;
  const plan = makePlan(type.replace(/ \| (null|undefined)$/, ''));
  plans.set(type, plan);
  return plan;
}

function makePlan(type: string): Plan {
  if (PRIMITIVES.has(type.toLowerCase())) return PLAIN;
  if (type === 'Date') return { kind: 'date' };
  const array = ARRAY.exec(type);
  if (array?.[1]) {
    const of = planOf(array[1]);
    return of === PLAIN ? PLAIN : { kind: 'array', of };
  }
  const map = MAP.exec(type);
  if (map?.[1]) {
    const of = planOf(map[1]);
    return of === PLAIN ? PLAIN : { kind: 'map', of };
  }
  const model = (models as unknown as Record<string, ModelClass | undefined>)[type];
  if (typeof model?.getAttributeTypeMap !== 'function') return PLAIN;
  const attributes = model.getAttributeTypeMap();
  let fields: ReadonlyMap<string, Field> | undefined;
  // Read lazily: models refer to each other (and to themselves), so a plan is made when first walked.
  return {
    kind: 'model',
    fields: () => {
      fields ??= new Map(
        attributes.map((attribute, index) => [
          attribute.baseName,
          { json: attribute.baseName, name: attribute.name, plan: planOf(attribute.type), index },
        ]),
      );
      return fields;
    },
  };
}
