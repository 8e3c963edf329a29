/**
 * Which advisories affect a module version, by one snapshot of the vulnerability database: the
 * per-version index the policy, the audit trail, the metrics, `gomodproxy vulns` and the JSON API
 * read. An index belongs to one snapshot and never changes; a new snapshot gets a new index (see
 * VulnerableVersions), so an advisory added by a refresh counts from the next request on.
 *
 * A version's answer is worked out the first time it is asked for and kept with the index: the
 * protocol routes ask on every .info/.mod/.zip, so a warm download costs a map lookup.
 *
 * What an advisory shows (Advisory): its ID and aliases (CVE-…, GHSA-…), summary, the version
 * that fixes it for this version (govulncheck's "Fixed in"; "" when none does), the page that
 * describes it, and a severity only where the entry carries one: the Go database writes none, so
 * for its entries `severity` is null (the OSV `severity` vector or a `database_specific.severity`
 * of other OSV sources is shown as given).
 */
import { entryAffects, fixedVersion, type AffectingEntry } from './affects.ts';

/** The parts of an OSV entry an advisory shows (osv.ts has the whole schema). */
export type AdvisoryEntry = AffectingEntry & {
  aliases?: readonly string[];
  summary?: string;
  severity?: ReadonlyArray<{ type?: string; score?: string }>;
  database_specific?: { url?: string; severity?: unknown };
};

/** The snapshot's face that the index reads. */
export type AdvisorySource = { entriesForModule(modulePath: string): readonly AdvisoryEntry[] };

export type Advisory = {
  id: string;
  aliases: string[];
  summary: string;
  /** The lowest version that fixes it for this version, with "v"; "" when there is no fix. */
  fixed: string;
  /** As the entry gives it (e.g. "CVSS_V3 CVSS:3.1/AV:N/…" or "HIGH"); null when it gives none, as Go's database does. */
  severity: string | null;
  url: string;
};

/** How many versions' answers one index keeps; past it they are worked out again (still correct, a little slower). */
const REMEMBERED_VERSIONS = 200_000;

/** The severity an entry states, if any. */
function severityOf(entry: AdvisoryEntry): string | null {
  const stated = entry.database_specific?.severity;
  if (typeof stated === 'string' && stated !== '') return stated;
  const first = entry.severity?.find((s) => typeof s.score === 'string' && s.score !== '');
  return first ? `${first.type ?? 'score'} ${first.score}` : null;
}

export function advisoryOf(entry: AdvisoryEntry, modulePath: string, version: string): Advisory {
  return {
    id: entry.id,
    aliases: [...(entry.aliases ?? [])],
    summary: entry.summary ?? '',
    fixed: fixedVersion(entry, modulePath, version),
    severity: severityOf(entry),
    url: entry.database_specific?.url ?? `https://pkg.go.dev/vuln/${entry.id}`,
  };
}

export class AdvisoryIndex {
  private readonly source: AdvisorySource;
  private readonly now: number;
  private readonly answers = new Map<string, readonly Advisory[]>();

  /** `now` decides which withdrawals have taken effect (govulncheck compares with the time it runs). */
  constructor(source: AdvisorySource, now: number = Date.now()) {
    this.source = source;
    this.now = now;
  }

  /** The advisories affecting modulePath@version, by ID; empty when none does. */
  advisoriesFor(modulePath: string, version: string): readonly Advisory[] {
    const key = `${modulePath}@${version}`;
    const known = this.answers.get(key);
    if (known) return known;
    const entries = this.source.entriesForModule(modulePath);
    const found =
      entries.length === 0
        ? NONE
        : entries
            .filter((entry) => entryAffects(entry, modulePath, version, this.now))
            .map((entry) => advisoryOf(entry, modulePath, version))
            .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (this.answers.size >= REMEMBERED_VERSIONS) this.answers.clear();
    this.answers.set(key, found);
    return found;
  }
}

const NONE: readonly Advisory[] = Object.freeze([]);
