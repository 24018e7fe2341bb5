/**
 * How the API server authenticates to the real node's kubelet (logs, exec, port-forward): a CA of the node's
 * own, which the kubelet trusts for client certificates, and a client certificate it signs for the API
 * server. The API server is in `system:masters` through it, so the kubelet's webhook authorization allows it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCertificateAuthority, issueClientCertificate } from '../../packages/injector/src/certificates.ts';

export interface KubeletClientPki {
  readonly clientCaFile: string;
  readonly apiserverClientCertFile: string;
  readonly apiserverClientKeyFile: string;
}

export async function writeKubeletClientPki(directory: string): Promise<KubeletClientPki> {
  const ca = await createCertificateAuthority('podmcp-test-kubelet-client-ca', 2);
  const client = await issueClientCertificate(ca, 'CN=kube-apiserver-kubelet-client, O=system:masters', 2);
  const files = {
    clientCaFile: join(directory, 'kubelet-client-ca.crt'),
    apiserverClientCertFile: join(directory, 'apiserver-kubelet-client.crt'),
    apiserverClientKeyFile: join(directory, 'apiserver-kubelet-client.key'),
  };
  writeFileSync(files.clientCaFile, ca.certPem);
  writeFileSync(files.apiserverClientCertFile, client.certPem);
  writeFileSync(files.apiserverClientKeyFile, client.keyPem, { mode: 0o600 });
  return files;
}
