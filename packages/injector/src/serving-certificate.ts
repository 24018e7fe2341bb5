/**
 * Keeps the webhook's TLS identity in step with its certificate files. Secrets mounted by the kubelet are
 * swapped through a symlink, which some file watchers miss, so a periodic check backs up the watcher.
 */
import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSecureContext } from 'node:tls';
import { certificateNotAfter } from './certificates.ts';

export interface LoadedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  readonly notAfter: Date;
}

export async function loadCertificate(certFile: string, keyFile: string): Promise<LoadedCertificate> {
  const [certPem, keyPem] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  // createSecureContext throws on a key that does not match, so a half-written pair is never installed.
  createSecureContext({ cert: certPem, key: keyPem });
  return { certPem, keyPem, notAfter: certificateNotAfter(certPem) };
}

export interface CertificateWatcher {
  close(): void;
}

export function watchCertificate(
  certFile: string,
  keyFile: string,
  current: LoadedCertificate,
  handlers: { onReload(loaded: LoadedCertificate): void; onError(error: Error): void },
  intervalMs = 10_000,
): CertificateWatcher {
  let installed = current.certPem;
  let pending: NodeJS.Timeout | undefined;
  const check = async () => {
    try {
      const loaded = await loadCertificate(certFile, keyFile);
      if (loaded.certPem === installed) return;
      installed = loaded.certPem;
      handlers.onReload(loaded);
    } catch (error) {
      handlers.onError(error as Error);
    }
  };
  // Debounced: writers replace cert and key in two steps; checking once both have landed avoids a mismatch error.
  const schedule = () => {
    clearTimeout(pending);
    pending = setTimeout(check, 200);
  };
  const directories = [...new Set([dirname(certFile), dirname(keyFile)])];
  const watchers = directories.map((directory) => watch(directory, { persistent: false }, schedule));
  const timer = setInterval(check, intervalMs);
  timer.unref();
  return {
    close() {
      clearTimeout(pending);
      clearInterval(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}
