/**
 * The tool catalogue as a model sees it: `tools/list` as JSON without output schemas (clients forward name,
 * title, description, input schema and annotations to the model; output schemas are for the client to check
 * answers with), per tool and in total, for every server, and each tool's bytes against the Go peer's. The
 * catalogue is re-read on every model turn, so its size is paid again and again.
 */

/** A tool as tools/list returns it; only its name and output schema are looked at, the rest is counted. */
export interface ListedTool {
  readonly name: string;
  readonly outputSchema?: unknown;
  readonly [field: string]: unknown;
}

export interface ToolCost {
  readonly tool: string;
  /** The tool's JSON without its output schema. */
  readonly bytes: number;
  readonly withOutputSchemaBytes: number;
}

export interface Catalogue {
  readonly server: string;
  readonly tools: readonly ToolCost[];
  /** `{"tools":[…]}` without output schemas: the whole listing a model reads. */
  readonly totalBytes: number;
  readonly totalWithOutputSchemaBytes: number;
  /** totalBytes ÷ the number of tools, null for an empty listing. */
  readonly bytesPerTool: number | null;
}

/** A tool of one server paired with the reference server's tool for the same operation. */
export interface Counterpart {
  readonly server: string;
  readonly tool: string;
  readonly referenceTool: string;
}

export interface CatalogueRow {
  readonly server: string;
  readonly tool: string;
  readonly bytes: number;
  /** bytes ÷ the reference server's bytes per tool. */
  readonly vsReferencePerTool: number | null;
  /** The reference server's tool for the same operation, when there is one, and bytes ÷ its bytes. */
  readonly referenceTool: string | null;
  readonly vsReferenceTool: number | null;
}

const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

function withoutOutputSchema(tool: ListedTool): Record<string, unknown> {
  const { outputSchema: _left, ...rest } = tool;
  return rest;
}

export function measureCatalogue(server: string, tools: readonly ListedTool[]): Catalogue {
  const stripped = tools.map(withoutOutputSchema);
  const totalBytes = size({ tools: stripped });
  return {
    server,
    tools: tools.map((tool, index) => ({
      tool: tool.name,
      bytes: size(stripped[index]),
      withOutputSchemaBytes: size(tool),
    })),
    totalBytes,
    totalWithOutputSchemaBytes: size({ tools }),
    bytesPerTool: tools.length === 0 ? null : totalBytes / tools.length,
  };
}

/** Every tool of every server against the reference server: its bytes per tool, and its counterpart tool. */
export function compareCatalogues(
  catalogues: readonly Catalogue[],
  reference: string,
  counterparts: readonly Counterpart[],
): CatalogueRow[] {
  const base = catalogues.find((catalogue) => catalogue.server === reference);
  const rows: CatalogueRow[] = [];
  for (const catalogue of catalogues) {
    for (const cost of catalogue.tools) {
      const pair = counterparts.find((entry) => entry.server === catalogue.server && entry.tool === cost.tool);
      const theirs = pair ? base?.tools.find((entry) => entry.tool === pair.referenceTool) : undefined;
      rows.push({
        server: catalogue.server,
        tool: cost.tool,
        bytes: cost.bytes,
        vsReferencePerTool: base?.bytesPerTool ? cost.bytes / base.bytesPerTool : null,
        referenceTool: theirs ? theirs.tool : null,
        vsReferenceTool: theirs ? cost.bytes / theirs.bytes : null,
      });
    }
  }
  return rows;
}

export interface CatalogueVerdict {
  readonly measured: string;
  /** null when either catalogue is missing. */
  readonly met: boolean | null;
}

/**
 * The goal "per tool no larger than the reference's": the server's bytes per tool against the reference's
 * (the tools are not the same ones, so the per-tool figure is the listing over its tool count); the tools
 * above the reference's figure and the counterpart pairs are named in what is reported.
 */
export function perToolVerdict(
  catalogues: readonly Catalogue[],
  server: string,
  reference: string,
  rows: readonly CatalogueRow[],
): CatalogueVerdict {
  const own = catalogues.find((catalogue) => catalogue.server === server);
  const base = catalogues.find((catalogue) => catalogue.server === reference);
  if (!own?.bytesPerTool || !base?.bytesPerTool) {
    return { measured: own ? `${perTool(own)}; ${reference} not run` : 'not measured', met: null };
  }
  const above = own.tools.filter((cost) => cost.bytes > (base.bytesPerTool ?? 0)).map((cost) => cost.tool);
  const pairs = rows
    .filter((row) => row.server === server && row.vsReferenceTool !== null)
    .map((row) => `${row.tool} ${times(row.vsReferenceTool)} ${row.referenceTool}`);
  const parts = [
    `${perTool(own)} against ${perTool(base)} (${times(own.bytesPerTool / base.bytesPerTool)})`,
    above.length > 0
      ? `above ${base.server}'s per tool: ${above.join(', ')}`
      : `no tool above ${base.server}'s per tool`,
  ];
  if (pairs.length > 0) parts.push(`same operation: ${pairs.join(', ')}`);
  return { measured: parts.join('; '), met: own.bytesPerTool <= base.bytesPerTool };
}

const times = (value: number | null) => (value === null ? '–' : `${value.toFixed(2)}×`);
const perTool = (catalogue: Catalogue) =>
  `${Math.round(catalogue.bytesPerTool ?? 0)} B/tool (${catalogue.tools.length} tools, ${catalogue.totalBytes} B)`;

export function renderCatalogueMarkdown(
  catalogues: readonly Catalogue[],
  rows: readonly CatalogueRow[],
  reference: string,
): string {
  const lines = [
    '### Tool catalogue as a model sees it',
    '',
    `\`tools/list\` as JSON without \`outputSchema\`, per tool and in total (tokens ≈ bytes / 4). Ratios: the tool's bytes ÷ ${reference}'s bytes per tool, and ÷ ${reference}'s tool for the same operation.`,
    '',
    `| server | tools | total | bytes per tool | vs ${reference} | with output schemas |`,
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const base = catalogues.find((catalogue) => catalogue.server === reference);
  for (const catalogue of catalogues) {
    const factor =
      base?.bytesPerTool && catalogue.bytesPerTool ? times(catalogue.bytesPerTool / base.bytesPerTool) : '–';
    lines.push(
      `| ${catalogue.server} | ${catalogue.tools.length} | ${catalogue.totalBytes} B | ${Math.round(catalogue.bytesPerTool ?? 0)} B | ${factor} | ${catalogue.totalWithOutputSchemaBytes} B |`,
    );
  }
  lines.push('', `| server | tool | bytes | vs ${reference} per tool | same operation in ${reference} |`);
  lines.push('| --- | --- | --- | --- | --- |');
  for (const row of rows) {
    const pair = row.referenceTool === null ? '' : `\`${row.referenceTool}\` ${times(row.vsReferenceTool)}`;
    lines.push(`| ${row.server} | \`${row.tool}\` | ${row.bytes} B | ${times(row.vsReferencePerTool)} | ${pair} |`);
  }
  lines.push('');
  return lines.join('\n');
}
