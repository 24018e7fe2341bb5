/** The catalogue's cost as a model sees it: what is counted, the ratios against the reference, the verdict. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  compareCatalogues,
  type ListedTool,
  measureCatalogue,
  perToolVerdict,
  renderCatalogueMarkdown,
} from '../../bench/sidecar/catalogue.ts';

const schema = { type: 'object', properties: { pods: { type: 'array' } } };
const ours: ListedTool[] = [
  { name: 'list_pods', description: 'Pods.', inputSchema: { type: 'object' }, outputSchema: schema },
  { name: 'get_pod_logs', description: 'Logs of a pod.', inputSchema: { type: 'object' } },
];
const theirs: ListedTool[] = [
  { name: 'pods_list', description: 'List all the pods in the namespace.', inputSchema: { type: 'object' } },
  { name: 'pods_log', description: 'Get the logs of a pod.', inputSchema: { type: 'object' } },
  { name: 'events_list', description: 'List events.', inputSchema: { type: 'object' } },
];
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

describe('measureCatalogue', () => {
  test('counts each tool and the listing without output schemas, and with them apart', () => {
    const catalogue = measureCatalogue('podmcp', ours);
    const { outputSchema: _left, ...listPods } = ours[0] as ListedTool;
    assert.deepEqual(
      catalogue.tools.map((cost) => [cost.tool, cost.bytes, cost.withOutputSchemaBytes]),
      [
        ['list_pods', bytes(listPods), bytes(ours[0])],
        ['get_pod_logs', bytes(ours[1]), bytes(ours[1])],
      ],
    );
    assert.equal(catalogue.totalBytes, bytes({ tools: [listPods, ours[1]] }));
    assert.equal(catalogue.totalWithOutputSchemaBytes, bytes({ tools: ours }));
    assert.equal(catalogue.bytesPerTool, catalogue.totalBytes / 2);
  });

  test('counts non-ASCII text in bytes, not characters', () => {
    const catalogue = measureCatalogue('x', [{ name: 'é' }]);
    assert.equal(catalogue.tools[0]?.bytes, '{"name":"é"}'.length + 1);
  });

  test('an empty listing has no bytes per tool', () => {
    assert.equal(measureCatalogue('x', []).bytesPerTool, null);
  });
});

describe('compareCatalogues and perToolVerdict', () => {
  const catalogues = [measureCatalogue('podmcp', ours), measureCatalogue('go', theirs)];
  const rows = compareCatalogues(catalogues, 'go', [
    { server: 'podmcp', tool: 'list_pods', referenceTool: 'pods_list' },
    { server: 'podmcp', tool: 'get_pod_logs', referenceTool: 'not_listed' },
  ]);

  test('each tool against the reference per tool, and against its counterpart when it is listed', () => {
    const go = catalogues[1];
    const listPods = rows.find((row) => row.tool === 'list_pods');
    assert.equal(listPods?.vsReferencePerTool, (listPods?.bytes ?? 0) / (go?.bytesPerTool ?? 1));
    assert.equal(listPods?.referenceTool, 'pods_list');
    assert.equal(listPods?.vsReferenceTool, (listPods?.bytes ?? 0) / (go?.tools[0]?.bytes ?? 1));
    const logs = rows.find((row) => row.tool === 'get_pod_logs');
    assert.equal(logs?.referenceTool, null, 'a counterpart the reference does not list gives no ratio');
    assert.equal(rows.filter((row) => row.server === 'go').length, 3, 'the reference is listed too');
  });

  test('met when the bytes per tool are at most the reference’s, not otherwise', () => {
    const small = perToolVerdict(catalogues, 'podmcp', 'go', rows);
    assert.equal(small.met, true);
    assert.match(small.measured, /list_pods 0\.\d\d× pods_list/);
    const wordy: ListedTool[] = ours.map((tool) => ({ ...tool, description: 'x'.repeat(400) }));
    const larger = [measureCatalogue('podmcp', wordy), catalogues[1] ?? measureCatalogue('go', [])];
    const verdict = perToolVerdict(larger, 'podmcp', 'go', compareCatalogues(larger, 'go', []));
    assert.equal(verdict.met, false);
    assert.match(verdict.measured, /above go's per tool: list_pods, get_pod_logs/);
  });

  test('no verdict without the reference', () => {
    const alone = [measureCatalogue('podmcp', ours)];
    assert.equal(perToolVerdict(alone, 'podmcp', 'go', []).met, null);
  });

  test('the table lists every server and every tool', () => {
    const markdown = renderCatalogueMarkdown(catalogues, rows, 'go');
    for (const name of ['list_pods', 'get_pod_logs', 'pods_list', 'pods_log', 'events_list'])
      assert.ok(markdown.includes(`\`${name}\``), name);
    assert.match(markdown, /\| podmcp \| 2 \| \d+ B \|/);
  });
});
