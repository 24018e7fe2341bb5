/** Who is calling: `stdio` for a local agent, otherwise what the HTTP edge authenticated. */
export interface Caller {
  readonly id: string;
  readonly transport: 'stdio' | 'http' | 'in-memory';
  /**
   * Who the client says it is (`podmcp connect` sends the kubeconfig user and its own instance), unverified:
   * it tells callers apart for limits and the audit, and is recorded as claimed, never as proof.
   */
  readonly claimed?: string | undefined;
}
