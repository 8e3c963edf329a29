/**
 * The advisories of stored versions as the newest snapshot says: follows the vulnerability
 * database mirror (VulnDatabase.onSnapshot) and swaps in a new AdvisoryIndex whenever a snapshot
 * becomes visible, so a refresh that adds an advisory takes effect without a restart. Before the
 * first snapshot (a proxy just started with an empty store) nothing is known: advisoriesFor
 * answers undefined, and the policy serves such versions as "unchecked". Without a database
 * (`vulndb: off`) nothing is looked up at all (`enabled` is false).
 */
import { AdvisoryIndex, type Advisory, type AdvisorySource } from './advisoryIndex.ts';

/** What the index needs of a snapshot: its entries, and when it was made. */
export type IndexedSnapshot = AdvisorySource & { readonly modified: string; readonly refreshedAt: Date; readonly stale: boolean };

/** The mirror's face (VulnDatabase) that this follows. */
export type SnapshotFeed = {
  current(): IndexedSnapshot | undefined;
  onSnapshot(listener: (snapshot: IndexedSnapshot) => void): void;
};

/** The snapshot in use, for /vulndb/status, the operator's status and `gomodproxy vulns`. */
export type SnapshotStatus = { modified: string; refreshedAt: string; stale: boolean };

export class VulnerableVersions {
  private snapshot: IndexedSnapshot | undefined;
  private index: AdvisoryIndex | undefined;
  private following: boolean;

  /** Follows `feed` (none: there is no database, as with `vulndb: off`, until `use` gives a snapshot). */
  constructor(feed?: SnapshotFeed) {
    this.following = feed !== undefined;
    if (!feed) return;
    const first = feed.current();
    if (first) this.use(first);
    feed.onSnapshot((snapshot) => this.use(snapshot));
  }

  /** Makes `snapshot` the one advisories are read from. */
  use(snapshot: IndexedSnapshot): void {
    this.following = true;
    this.index = new AdvisoryIndex(snapshot);
    this.snapshot = snapshot;
  }

  /** Whether there is a database to look in (a snapshot may not exist yet). */
  get enabled(): boolean {
    return this.following;
  }

  /** The advisories affecting modulePath@version; undefined while no snapshot exists. */
  advisoriesFor(modulePath: string, version: string): readonly Advisory[] | undefined {
    return this.index?.advisoriesFor(modulePath, version);
  }

  status(): SnapshotStatus | undefined {
    const snapshot = this.snapshot;
    return snapshot && { modified: snapshot.modified, refreshedAt: snapshot.refreshedAt.toISOString(), stale: snapshot.stale };
  }
}
