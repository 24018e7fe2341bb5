/**
 * The catalogue's JSON Schemas baked into the image: they go through JSON at build time, so they must come back
 * equal (else tools/list would differ between the sources and the image), and a baked table must answer only
 * for the catalogue's own schemas.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TOOL_NAMES } from '@podmcp/core';
import { z } from 'zod';
import { TOOL_DEFINITIONS } from '../src/tools/catalog.ts';
import { bakedLookup, catalogueSchemas, convertSchema, listedSchema } from '../src/tools/listed-schemas.ts';

describe('the catalogue schemas baked at build time', () => {
  test('cover every tool, and come back from JSON unchanged', () => {
    const table = catalogueSchemas();
    assert.deepEqual(Object.keys(table).sort(), [...TOOL_NAMES].sort());
    assert.deepStrictEqual(JSON.parse(JSON.stringify(table)), table);
  });

  test('from the sources nothing is baked: each schema is converted', () => {
    const tool = TOOL_DEFINITIONS.list_pods;
    assert.deepStrictEqual(listedSchema(tool.input, 'input'), convertSchema(tool.input, 'input'));
    assert.deepStrictEqual(listedSchema(tool.output, 'output'), convertSchema(tool.output, 'output'));
  });

  test("a baked table answers for the catalogue's schemas, by use, and for no other schema", () => {
    const table = JSON.parse(JSON.stringify(catalogueSchemas())) as ReturnType<typeof catalogueSchemas>;
    const lookup = bakedLookup(table);
    const tool = TOOL_DEFINITIONS.get_pod_logs;
    assert.equal(lookup(tool.input, 'input'), table.get_pod_logs?.input);
    assert.equal(lookup(tool.output, 'output'), table.get_pod_logs?.output);
    assert.equal(lookup(tool.input, 'output'), undefined);
    assert.equal(lookup(z.object({ name: z.string() }), 'input'), undefined);
    assert.equal(bakedLookup({})(tool.input, 'input'), undefined);
  });
});
