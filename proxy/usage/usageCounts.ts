/**
 * Request counts over time, as the download journal keeps them (storage/downloadLog.ts), shared
 * by every replica and kept across restarts:
 *
 *   hours:   { "<YYYY-MM-DDTHH>": [downloads, hits, misses] }   the last HOURS_KEPT_DAYS days
 *   days:    { "<YYYY-MM-DD>":    [downloads, hits, misses] }   older ones, for DAYS_KEPT days
 *   modules: { "<YYYY-MM-DD>": { "<module path>": downloads } } MODULE_DAYS_KEPT days, the
 *                                                               MODULES_PER_DAY most downloaded
 *
 * A download is a served .zip (the go command fetches a version's zip once per machine); hits
 * and misses count served .info, .mod and .zip answers by whether storage had them. Counts from
 * several journal files add up; fold() moves old hours into days and drops what is past keeping,
 * so the merged counts stay bounded (some hundred KB) however long the proxy runs.
 */

export type Triple = [downloads: number, hits: number, misses: number];

export type UsageCounts = {
  hours: Record<string, Triple>;
  days: Record<string, Triple>;
  modules: Record<string, Record<string, number>>;
};

export const HOURS_KEPT_DAYS = 14;
export const DAYS_KEPT = 400;
export const MODULE_DAYS_KEPT = 90;
export const MODULES_PER_DAY = 1000;

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export const emptyCounts = (): UsageCounts => ({ hours: {}, days: {}, modules: {} });

/**
 * The key of the UTC period of `unitMs` holding `at`: the first `length` characters of the ISO time
 * of its start. Answers are counted at the time they are served, mostly in the same hour and day, so
 * the last period's key is kept and formatted again only when a time falls outside it.
 */
function periodKey(unitMs: number, length: number): (at: number) => string {
  let start = Number.NaN;
  let key = '';
  return (at) => {
    if (!(at >= start && at < start + unitMs)) {
      key = new Date(at).toISOString().slice(0, length);
      start = Math.floor(at / unitMs) * unitMs;
    }
    return key;
  };
}

/** "2026-12-05T05" of a time in milliseconds. */
export const hourKey = periodKey(HOUR_MS, 13);
/** "2026-12-05" of a time in milliseconds. */
export const dayKey = periodKey(DAY_MS, 10);

/** Adds `source` into `target`. */
export function addCounts(target: UsageCounts, source: UsageCounts): void {
  for (const [hour, triple] of Object.entries(source.hours)) addTriple(target.hours, hour, triple);
  for (const [day, triple] of Object.entries(source.days)) addTriple(target.days, day, triple);
  for (const [day, modules] of Object.entries(source.modules)) {
    const into = (target.modules[day] ??= {});
    for (const [path, count] of Object.entries(modules)) into[path] = (into[path] ?? 0) + count;
  }
}

/** Notes one served answer at `at`. */
export function countAnswer(counts: UsageCounts, at: number, answer: { download: boolean; cache: 'hit' | 'miss' | null; module: string | null }): void {
  const triple = (counts.hours[hourKey(at)] ??= [0, 0, 0]);
  if (answer.download) triple[0]++;
  if (answer.cache === 'hit') triple[1]++;
  if (answer.cache === 'miss') triple[2]++;
  if (answer.download && answer.module) {
    const modules = (counts.modules[dayKey(at)] ??= {});
    modules[answer.module] = (modules[answer.module] ?? 0) + 1;
  }
}

/** Hours older than HOURS_KEPT_DAYS become days; what is past keeping is dropped; each day keeps its MODULES_PER_DAY top modules. */
export function fold(counts: UsageCounts, now: number): UsageCounts {
  const hourLimit = dayKey(now - HOURS_KEPT_DAYS * DAY_MS);
  const dayLimit = dayKey(now - DAYS_KEPT * DAY_MS);
  const moduleLimit = dayKey(now - MODULE_DAYS_KEPT * DAY_MS);
  const folded = emptyCounts();
  for (const [hour, triple] of Object.entries(counts.hours)) {
    if (hour.slice(0, 10) >= hourLimit) addTriple(folded.hours, hour, triple);
    else addTriple(folded.days, hour.slice(0, 10), triple);
  }
  for (const [day, triple] of Object.entries(counts.days)) addTriple(folded.days, day, triple);
  for (const day of Object.keys(folded.days)) if (day < dayLimit) delete folded.days[day];
  for (const [day, modules] of Object.entries(counts.modules)) {
    if (day < moduleLimit) continue;
    const top = Object.entries(modules).sort((a, b) => b[1] - a[1]).slice(0, MODULES_PER_DAY);
    folded.modules[day] = Object.fromEntries(top);
  }
  return folded;
}

/** The counts in a journal file's `@usage` entry; empty for anything else (a damaged or older file). */
export function parseCounts(value: unknown): UsageCounts {
  const counts = emptyCounts();
  if (typeof value !== 'object' || value === null) return counts;
  const { hours, days, modules } = value as Partial<Record<keyof UsageCounts, unknown>>;
  for (const [from, into, pattern] of [
    [hours, counts.hours, /^\d{4}-\d{2}-\d{2}T\d{2}$/],
    [days, counts.days, /^\d{4}-\d{2}-\d{2}$/],
  ] as const) {
    if (typeof from !== 'object' || from === null) continue;
    for (const [key, triple] of Object.entries(from)) {
      if (pattern.test(key) && isTriple(triple)) addTriple(into, key, triple);
    }
  }
  if (typeof modules === 'object' && modules !== null) {
    for (const [day, byModule] of Object.entries(modules)) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || typeof byModule !== 'object' || byModule === null) continue;
      const into = (counts.modules[day] = {} as Record<string, number>);
      for (const [path, count] of Object.entries(byModule)) if (Number.isSafeInteger(count) && (count as number) > 0) into[path] = count as number;
    }
  }
  return counts;
}

export function isEmpty(counts: UsageCounts): boolean {
  return Object.keys(counts.hours).length === 0 && Object.keys(counts.days).length === 0 && Object.keys(counts.modules).length === 0;
}

function addTriple(into: Record<string, Triple>, key: string, triple: Triple): void {
  const sum = (into[key] ??= [0, 0, 0]);
  sum[0] += triple[0];
  sum[1] += triple[1];
  sum[2] += triple[2];
}

function isTriple(value: unknown): value is Triple {
  return Array.isArray(value) && value.length === 3 && value.every((n) => Number.isSafeInteger(n) && n >= 0);
}
