import { readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { DaemonError } from './errors';
import type { TlsOptions } from './daemonDescription';

export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
  /** Where each file came from, for error messages. */
  files: { ca?: string; cert?: string; key?: string };
}

/** `~/x` -> home-relative; the docker CLI default folder is ~/.docker. */
export function expandHome(p: string, home = os.homedir()): string {
  return p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p;
}

/**
 * Reads the TLS files like the docker CLI: individual ca/cert/key paths win, the rest come from the
 * certificate folder (DOCKER_CERT_PATH semantics, default ~/.docker). The CA is required only when the
 * server is verified; a client certificate needs both cert.pem and key.pem.
 */
export async function loadTlsMaterial(host: string, tls: TlsOptions, home = os.homedir()): Promise<TlsMaterial> {
  const folder = expandHome(tls.certPath ?? '~/.docker', home);
  const files = {
    ca: expandHome(tls.ca ?? path.join(folder, 'ca.pem'), home),
    cert: expandHome(tls.cert ?? path.join(folder, 'cert.pem'), home),
    key: expandHome(tls.key ?? path.join(folder, 'key.pem'), home),
  };
  const read = async (which: keyof typeof files, required: boolean): Promise<Buffer | undefined> => {
    try {
      return await readFile(files[which]);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (!required && code === 'ENOENT') return undefined;
      const what =
        code === 'ENOENT' ? 'is missing' : code === 'EACCES' ? 'is not readable (permission denied)' : `cannot be read (${code})`;
      const where = tls[which] ? `tls.${which}` : `the certificate folder ${folder}`;
      throw new DaemonError(
        'config',
        host,
        `TLS for ${host}: ${path.basename(files[which])} ${what}: ${files[which]} (from ${where}). ` +
          'A certificate folder holds ca.pem, cert.pem and key.pem, as for DOCKER_CERT_PATH.',
        { cause: e },
      );
    }
  };
  const ca = await read('ca', tls.verify);
  const cert = await read('cert', false);
  const key = await read('key', cert !== undefined);
  if (key && !cert) await read('cert', true); // key.pem without cert.pem: name the missing cert.pem
  return { ca, cert, key, rejectUnauthorized: tls.verify, files };
}
