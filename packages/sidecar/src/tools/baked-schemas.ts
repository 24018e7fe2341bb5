/**
 * The catalogue's JSON Schemas converted ahead of time. Undefined in the sources (listed-schemas.ts converts
 * them when first listed); the image's bundle replaces this module with `catalogueSchemas()`'s result.
 */

export type SchemaUse = 'input' | 'output';

export type ListedSchema = { type: 'object'; [key: string]: unknown };

/** Tool name → its input and output schemas as tools/list shows them. */
export type CatalogueSchemas = Readonly<Record<string, Readonly<Record<SchemaUse, ListedSchema>>>>;

export const BAKED_SCHEMAS: CatalogueSchemas | undefined = undefined;
