/** What the demo prints, shared by its two runs (real node, simulated node): headings, lines, the MCP session. */
import type { Client } from '@modelcontextprotocol/client';

export function heading(text: string): void {
  process.stdout.write(`\n== ${text} ==\n`);
}
export function say(text: string): void {
  process.stdout.write(`${text}\n`);
}
export function indent(text: string, prefix = '   '): string {
  return text
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}

/** tools/list, list_pods, get_pod_logs and the podmcp://self resource, each printed as asked and answered. */
export async function mcpSession(client: Client): Promise<void> {
  heading('6. An MCP session');
  const { tools } = await client.listTools();
  say(`→ tools/list\n← ${tools.length} tools: ${tools.map((tool) => tool.name).join(', ')}`);
  for (const [name, args] of [
    ['list_pods', {}],
    ['get_pod_logs', { tail_lines: 10 }],
  ] as const) {
    const result = await client.callTool({ name, arguments: args });
    const text = (result.content as Array<{ text?: string }>).map((part) => part.text ?? '').join('\n');
    say(`→ tools/call ${name} ${JSON.stringify(args)}\n${indent(text, '← ')}`);
  }
  const self = await client.readResource({ uri: 'podmcp://self' });
  say(
    `→ resources/read podmcp://self\n${indent(String((self.contents[0] as { text?: string } | undefined)?.text ?? ''), '← ')}`,
  );
}
