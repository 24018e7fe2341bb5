/**
 * Every replica's half: hand the serving pair found in the Secret to the server whenever tls.crt changed.
 * A pair that cannot be installed (garbage, a key that does not match) is refused and reported once per
 * distinct content; the leader repairs the Secret, and the server keeps what it has meanwhile.
 */
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';
import { certificateNotAfter } from '../certificates.ts';
import type { InjectorMetrics } from '../metrics.ts';
import type { LoadedCertificate } from '../serving-certificate.ts';
import type { SecretFiles } from './plan.ts';

export interface ServingInstaller {
  /** Installs the Secret's pair if it is new; true when it did. */
  offer(files: SecretFiles | undefined): boolean;
  installed(): LoadedCertificate | undefined;
}

export interface ServingInstallerOptions {
  readonly onCertificate: (loaded: LoadedCertificate) => void;
  readonly onRefused: (error: Error) => void;
  readonly logger: Logger;
  readonly metrics?: InjectorMetrics | undefined;
}

export function createServingInstaller(options: ServingInstallerOptions): ServingInstaller {
  const { logger, metrics } = options;
  let current: LoadedCertificate | undefined;
  let refused: string | undefined;

  return {
    offer(files) {
      const certPem = files?.['tls.crt'];
      const keyPem = files?.['tls.key'];
      if (certPem === undefined || keyPem === undefined) return false;
      if (certPem === current?.certPem && keyPem === current.keyPem) return false;
      let loaded: LoadedCertificate;
      try {
        // Throws on a key that does not match the certificate, so a broken pair never reaches the server.
        createSecureContext({ cert: certPem, key: keyPem });
        loaded = { certPem, keyPem, notAfter: certificateNotAfter(certPem) };
      } catch (error) {
        if (refused !== certPem + keyPem) {
          refused = certPem + keyPem;
          metrics?.certificateReloads.inc({ result: 'error' });
          options.onRefused(
            new Error(`the TLS Secret holds a serving pair that cannot be used: ${(error as Error).message}`),
          );
        }
        return false;
      }
      const first = current === undefined;
      current = loaded;
      refused = undefined;
      metrics?.certificateExpiry.set(loaded.notAfter.getTime() / 1000);
      if (!first) metrics?.certificateReloads.inc({ result: 'ok' });
      logger.info({ notAfter: loaded.notAfter.toISOString() }, 'serving certificate loaded from the TLS Secret');
      options.onCertificate(loaded);
      return true;
    },

    installed() {
      return current;
    },
  };
}
