/**
 * How git may reach a host: credentials and trust from the host map, read
 * when they are used (a rotated token file is picked up) and handed to git
 * in its environment only — never in a URL, an argument, a log line or an
 * error text.
 */
import { proxyError } from '../../errors.ts';
import { readSecret } from '../../secrets.ts';
import type { GitHost } from './locate.ts';

export type GitAccess = {
  config: Record<string, string>;
  sshCommand?: string;
  /** Values to scrub from anything git prints. */
  secrets: string[];
};

/** Reads "env:NAME" or "file:/path"; a missing secret fails the git request that needs it. */
export function readGitHostSecret(reference: string, what: string): string {
  try {
    return readSecret(reference, what);
  } catch (err) {
    throw proxyError('UPSTREAM_FAILED', (err as Error).message);
  }
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function gitAccess(hostName: string, host: GitHost | undefined): GitAccess {
  const access: GitAccess = { config: {}, secrets: [] };
  if (!host) return access;
  if (host.token) {
    const token = readGitHostSecret(host.token, `git host ${hostName} token`);
    const basic = Buffer.from(`${host.username ?? 'git'}:${token}`).toString('base64');
    access.config['http.extraHeader'] = `Authorization: Basic ${basic}`;
    access.secrets.push(token, basic);
  }
  if (host.caFile) access.config['http.sslCAInfo'] = host.caFile;
  const ssh = ['ssh', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes'];
  if (host.sshKeyFile) ssh.push('-o', 'IdentitiesOnly=yes', '-i', shellQuote(host.sshKeyFile));
  if (host.knownHostsFile) ssh.push('-o', `UserKnownHostsFile=${shellQuote(host.knownHostsFile)}`);
  if (host.sshKeyFile || host.knownHostsFile) access.sshCommand = ssh.join(' ');
  return access;
}

/** Removes every secret from a text git printed. */
export function scrub(text: string, secrets: string[]): string {
  return secrets.reduce((out, secret) => (secret ? out.split(secret).join('***') : out), text);
}
