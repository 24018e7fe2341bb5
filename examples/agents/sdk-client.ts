/**
 * An MCP client in TypeScript that reaches a workload's podmcp sidecar through `podmcp connect`: the SDK's
 * Client over StdioClientTransport, which starts `npx podmcp connect …` and talks MCP on its stdin/stdout.
 *
 *   node sdk-client.ts deploy/checkout            # the current kubeconfig context's namespace
 *   node sdk-client.ts -n shop deploy/checkout
 *
 * PODMCP_COMMAND replaces `npx podmcp` (words separated by spaces), e.g. "node packages/cli/bin/podmcp.js".
 *
 * The client speaks MCP 2025-11-25, the SDK's default. `new Client(info, { versionNegotiation: { mode: 'auto' } })`
 * tries 2026-07-28 first (podmcp connect relays both); over stdio the SDK then probes with a short-lived second
 * `podmcp connect` before starting the real one.
 */
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

const [command = 'npx', ...prefix] = (process.env.PODMCP_COMMAND ?? 'npx podmcp').split(' ');
const transport = new StdioClientTransport({
  command,
  args: [...prefix, 'connect', ...process.argv.slice(2)],
  // The SDK passes only a minimal environment by default; podmcp connect needs KUBECONFIG (and HOME).
  env: Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  ),
  stderr: 'inherit',
});
const client = new Client({ name: 'podmcp-sdk-example', version: '1.0.0' });
await client.connect(transport);
try {
  const { tools } = await client.listTools();
  console.log(`tools: ${tools.map((tool) => tool.name).join(', ')}`);
  const result = await client.callTool({ name: 'list_pods', arguments: {} });
  for (const part of result.content as Array<{ type: string; text?: string }>) {
    if (part.type === 'text') console.log(part.text);
  }
  if (result.isError) process.exitCode = 1;
} finally {
  await client.close();
}
