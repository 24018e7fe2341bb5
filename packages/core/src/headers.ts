/**
 * The HTTP header in which a client claims who it is, unverified (`podmcp connect` sends its kubeconfig user
 * and its own instance id). Shared by the sidecar that reads it and the CLI that sends it.
 */
export const CLAIMED_IDENTITY_HEADER = 'podmcp-claimed-identity';
