import { request } from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  peerCertificatePem?: string;
}

/** One HTTPS request with a bounded wait, so a hanging server fails the test instead of stalling it. */
export function post(
  port: number,
  ca: string,
  body: string | Buffer,
  options: { path?: string; method?: string; contentType?: string | null; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'Content-Length': Buffer.byteLength(body) };
    if (options.contentType !== null) headers['Content-Type'] = options.contentType ?? 'application/json';
    const req = request(
      {
        host: '127.0.0.1',
        port,
        ca,
        path: options.path ?? '/mutate',
        method: options.method ?? 'POST',
        headers,
        agent: false,
        timeout: options.timeoutMs ?? 5_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const socket = res.socket as import('node:tls').TLSSocket;
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            peerCertificatePem: socket.getPeerX509Certificate?.()?.toString(),
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
