/**
 * A `podmcp serve --transport stdio` session that needs no cluster, for checking and timing the image's serve:
 * a kubeconfig whose API server (loopback port 1) refuses connections — serve starts anyway — and the stdin of
 * a client that initializes and asks for tools/list (answered with id 2).
 */

/** A kubeconfig for a token user and `namespace` on an API server that refuses connections. */
export function unreachableKubeconfig(namespace: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
    'users: [{name: u, user: {token: t}}]',
    `contexts: [{name: c, context: {cluster: c, user: u, namespace: ${namespace}}}]`,
    'current-context: c',
    '',
  ].join('\n');
}

/** The id of the tools/list request in `toolsListInput`. */
export const TOOLS_LIST_ID = 2;

/** JSON lines: initialize, notifications/initialized, tools/list. */
export function toolsListInput(clientName: string): string {
  const messages = [
    {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: clientName, version: '0' } },
    },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: TOOLS_LIST_ID, method: 'tools/list' },
  ];
  return messages.map((message) => `${JSON.stringify(message)}\n`).join('');
}
