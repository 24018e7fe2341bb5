/**
 * The JSON Schemas tools/list shows for a tool's input and output. Converting the catalogue's zod schemas was a
 * tenth of a sidecar's start (the first tools/list); the image's bundle carries them converted at build time
 * (baked-schemas.ts, filled in by the image's build from `catalogueSchemas()` below), so a start converts none.
 * From the sources, and for a schema that is not the catalogue's own, each is converted when first listed.
 */
import { z } from 'zod';
import { BAKED_SCHEMAS, type CatalogueSchemas, type ListedSchema, type SchemaUse } from './baked-schemas.ts';
import { TOOL_DEFINITIONS } from './catalog.ts';

/** The schema as tools/list shows it: no `$schema`, always an object. */
export function convertSchema(schema: z.ZodObject, io: SchemaUse): ListedSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return { ...rest, type: 'object' };
}

/** Every catalogue tool's schemas, converted: what the image's build bakes, as JSON. */
export function catalogueSchemas(): CatalogueSchemas {
  return Object.fromEntries(
    Object.values(TOOL_DEFINITIONS).map((tool) => [
      tool.name,
      { input: convertSchema(tool.input, 'input'), output: convertSchema(tool.output, 'output') },
    ]),
  );
}

type BakedLookup = (schema: z.ZodObject, io: SchemaUse) => ListedSchema | undefined;

/**
 * The baked schemas by the zod schema they were converted from: only the catalogue's own definitions match,
 * so a tool defined elsewhere (tests, a future catalogue) is converted, never shown another's schema.
 */
export function bakedLookup(table: CatalogueSchemas): BakedLookup {
  const found = { input: new WeakMap<z.ZodObject, ListedSchema>(), output: new WeakMap<z.ZodObject, ListedSchema>() };
  for (const tool of Object.values(TOOL_DEFINITIONS)) {
    const schemas = table[tool.name];
    if (schemas === undefined) continue;
    found.input.set(tool.input, schemas.input);
    found.output.set(tool.output, schemas.output);
  }
  return (schema, io) => found[io].get(schema);
}

let baked: BakedLookup | undefined;

export function listedSchema(schema: z.ZodObject, io: SchemaUse): ListedSchema {
  if (BAKED_SCHEMAS === undefined) return convertSchema(schema, io);
  baked ??= bakedLookup(BAKED_SCHEMAS);
  return baked(schema, io) ?? convertSchema(schema, io);
}
