/**
 * Whether an advisory of the Go vulnerability database affects a module version, decided as
 * govulncheck decides it (golang.org/x/vuln internal/semver Affects and ContainsSemver,
 * internal/vulncheck affectingVulnerabilities and FixedVersion). Pure functions, no I/O.
 *
 * - Versions in OSV are written without the "v" ("1.2.3"), sometimes with Go's "go" prefix; both
 *   are read as "v1.2.3". They compare as Go semantic versions (golang.org/x/mod/semver): build
 *   metadata does not count, so "v2.0.0+incompatible" sits where "v2.0.0" does, and a
 *   pseudo-version ("v0.0.0-20240101000000-abcdef123456") is the pre-release it is.
 * - An `affected` item is about one module: its package name must equal the module path exactly.
 *   The database's pseudo-modules `stdlib` (the standard library) and `toolchain` (the go
 *   command) are no module a proxy stores, so they never match.
 * - An entry withdrawn before now affects nothing.
 */
import { compareSemver } from '../protocol/index.ts';

/** The parts of an OSV entry (see osv.ts) that say what it affects. */
export type OsvRangeEvent = { introduced?: string; fixed?: string };
export type OsvRange = { type: string; events?: readonly OsvRangeEvent[] };
export type OsvAffected = { package: { name: string }; ranges?: readonly OsvRange[] };
export type AffectingEntry = { id: string; withdrawn?: string; affected: readonly OsvAffected[] };

/** The database's names for parts of the Go distribution, which are not modules. */
export const GO_DISTRIBUTION_MODULES: ReadonlySet<string> = new Set(['stdlib', 'toolchain']);

/** "1.2.3", "v1.2.3" and "go1.2.3" as the Go semantic version "v1.2.3" (x/vuln canonicalizeSemverPrefix). */
export function osvVersion(version: string): string {
  let bare = version.startsWith('v') ? version.slice(1) : version;
  if (bare.startsWith('go')) bare = bare.slice(2);
  return `v${bare}`;
}

/**
 * a < b as Go semantic versions, each written with "v", "go" or no prefix. An invalid version is
 * below every valid one (so "" is below any fix), as in x/mod semver.Compare.
 */
export function osvLess(a: string, b: string): boolean {
  return compareSemver(osvVersion(a), osvVersion(b)) < 0;
}

/** The version an event is about, for ordering: its introduced or fixed version. */
function eventVersion(event: OsvRangeEvent): string {
  return event.fixed ? event.fixed : (event.introduced ?? '');
}

/** Events in version order, "introduced: 0" (the beginning of time) first; equal ones keep their order. */
function sortedEvents(events: readonly OsvRangeEvent[]): OsvRangeEvent[] {
  return [...events].sort((a, b) => {
    const aStart = a.introduced === '0';
    const bStart = b.introduced === '0';
    if (aStart || bStart) return aStart === bStart ? 0 : aStart ? -1 : 1;
    const va = eventVersion(a);
    const vb = eventVersion(b);
    return osvLess(va, vb) ? -1 : osvLess(vb, va) ? 1 : 0;
  });
}

/**
 * Whether a SEMVER range contains version: walking its events in version order, an
 * `introduced` (at or below version; "0" is the beginning of time) opens an affected stretch and
 * a `fixed` above version closes it. A range of another type contains nothing; a SEMVER range
 * without events contains everything (x/vuln ContainsSemver).
 */
export function rangeContains(range: OsvRange, version: string): boolean {
  if (range.type !== 'SEMVER') return false;
  const events = range.events ?? [];
  if (events.length === 0) return true;
  let affected = false;
  for (const event of sortedEvents(events)) {
    if (!affected && event.introduced) affected = event.introduced === '0' || !osvLess(version, event.introduced);
    else if (affected && event.fixed) affected = osvLess(version, event.fixed);
  }
  return affected;
}

/**
 * Whether ranges include version: no ranges at all, or none of type SEMVER, mean every version;
 * otherwise some SEMVER range must contain it (x/vuln semver.Affects).
 */
export function rangesAffect(ranges: readonly OsvRange[] | undefined, version: string): boolean {
  if (!ranges || ranges.length === 0) return true;
  let semverRangePresent = false;
  for (const range of ranges) {
    if (range.type !== 'SEMVER') continue;
    semverRangePresent = true;
    if (rangeContains(range, version)) return true;
  }
  return !semverRangePresent;
}

/** Whether the entry was withdrawn before `now` (an unreadable time counts as not withdrawn: the advisory stays). */
export function isWithdrawn(entry: Pick<AffectingEntry, 'withdrawn'>, now: number): boolean {
  if (entry.withdrawn === undefined) return false;
  const time = Date.parse(entry.withdrawn);
  return Number.isFinite(time) && time < now;
}

/** The entry's `affected` items about this module (never `stdlib` or `toolchain`). */
export function affectedItemsOf(entry: AffectingEntry, modulePath: string): OsvAffected[] {
  if (GO_DISTRIBUTION_MODULES.has(modulePath)) return [];
  return entry.affected.filter((item) => item.package.name === modulePath);
}

/**
 * Whether the entry affects modulePath@version: not withdrawn, and an `affected` item of exactly
 * this module whose ranges include the version. An empty version, or "(devel)", affects nothing
 * (govulncheck does not guess a version it cannot see).
 */
export function entryAffects(entry: AffectingEntry, modulePath: string, version: string, now: number = Date.now()): boolean {
  if (version === '' || version === '(devel)' || isWithdrawn(entry, now)) return false;
  return affectedItemsOf(entry, modulePath).some((item) => rangesAffect(item.ranges, version));
}

/**
 * The version to move to: among the entry's `affected` items of this module whose ranges include
 * version, the lowest `fixed` above version that none of their ranges re-enters, with a "v" (""
 * when there is none). This is govulncheck's "Fixed in" (x/vuln FixedVersion, given the items
 * affectingVulnerabilities kept).
 */
export function fixedVersion(entry: AffectingEntry, modulePath: string, version: string): string {
  const items = affectedItemsOf(entry, modulePath).filter((item) => rangesAffect(item.ranges, version));
  const fixes: string[] = [];
  for (const item of items) {
    for (const range of item.ranges ?? []) {
      if (range.type !== 'SEMVER') continue;
      for (const event of range.events ?? []) if (event.fixed && osvLess(version, event.fixed)) fixes.push(event.fixed);
    }
  }
  fixes.sort((a, b) => (osvLess(a, b) ? -1 : osvLess(b, a) ? 1 : 0));
  const negated = (fix: string) => items.some((item) => (item.ranges ?? []).some((range) => rangeContains(range, fix)));
  const fix = fixes.find((candidate) => !negated(candidate));
  if (fix === undefined) return '';
  return fix.startsWith('v') ? fix : `v${fix}`;
}
