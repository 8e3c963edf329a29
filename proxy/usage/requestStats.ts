/**
 * Who uses the proxy and what it refused, as this replica saw it since it started (the audit
 * trail's entries: server/auditHook.ts), bounded in memory: the served files of at most
 * MAX_IDENTITIES identities (later ones are counted together as "(others)"), and the last
 * MAX_DENIED refused requests (401 and 403) with their reasons.
 */
import type { AuditEntry } from '../access/audit.ts';

const MAX_IDENTITIES = 10_000;
const MAX_DENIED = 500;
const OTHERS = '(others)';

export type DeniedRequest = { time: string; identity: string | null; module: string | null; version: string | null; status: number; reason: string | null };

export class RequestStats {
  readonly since = new Date();
  private readonly served = new Map<string, number>();
  private readonly denied: DeniedRequest[] = [];
  private deniedNext = 0;

  record(entry: AuditEntry): void {
    if (entry.status === 401 || entry.status === 403) {
      const denial = { time: entry.time, identity: entry.identity, module: entry.module, version: entry.version, status: entry.status, reason: entry.deny };
      if (this.denied.length < MAX_DENIED) this.denied.push(denial);
      else this.denied[this.deniedNext] = denial;
      this.deniedNext = (this.deniedNext + 1) % MAX_DENIED;
      return;
    }
    const name = entry.identity ?? 'anonymous';
    const key = this.served.has(name) || this.served.size < MAX_IDENTITIES ? name : OTHERS;
    this.served.set(key, (this.served.get(key) ?? 0) + 1);
  }

  /** The identities with the most served files, most first. */
  topUsers(count: number): Array<{ identity: string; count: number }> {
    return [...this.served].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, count).map(([identity, n]) => ({ identity, count: n }));
  }

  /** Refused requests between two times (ms), newest first. */
  deniedBetween(from: number, to: number): DeniedRequest[] {
    return this.denied.filter((d) => {
      const at = Date.parse(d.time);
      return at >= from && at < to;
    }).sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
  }
}
