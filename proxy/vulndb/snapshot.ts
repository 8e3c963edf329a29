/**
 * One complete, verified copy of the Go vulnerability database, held in memory: the upstream's
 * bytes of `index/db.json`, `index/modules.json` and every `ID/<id>.json`, and what they say,
 * parsed. A copy is made only from files that pass every check (checkDatabaseFiles); it never
 * changes afterwards, so readers need no lock and a refresh replaces it whole.
 *
 * The checks, each failure naming the file and what was wrong:
 * - every file is JSON of the database's schema (osv.ts);
 * - `ID/<id>.json` holds the entry `<id>`, with the `modified` that modules.json gives it;
 * - modules.json lists an ID under a module exactly when that entry names the module in `affected`;
 * - no entry is newer than db.json's `modified` (db.json is written last upstream: a newer entry
 *   means a copy taken while the database was being written).
 */
import { gzipSync } from 'node:zlib';
import { z } from 'zod';
import { databaseMetaSchema, describeSchemaError, GO_VULN_ID, modulesIndexSchema, osvEntrySchema, type ModulesIndex, type OsvEntry } from './osv.ts';

/** What a snapshot says; the face the policy and the per-version index read (see VulnDatabase). */
export type VulnSnapshot = {
  /** db.json's `modified`, as the upstream wrote it. */
  readonly modified: string;
  /** When the source last confirmed this snapshot (a refresh that found it current or made it). */
  readonly refreshedAt: Date;
  /** True while the last refresh failed (the source is down or served a bad copy). */
  readonly stale: boolean;
  entriesForModule(modulePath: string): readonly OsvEntry[];
  entry(id: string): OsvEntry | undefined;
  ids(): Iterable<string>;
};

/** The raw files of a database, as fetched or as stored. */
export type DatabaseFiles = {
  db: Buffer;
  modules: Buffer;
  /** `ID/<id>.json` by ID. */
  entries: ReadonlyMap<string, Buffer>;
};

/** A database that failed a check; `file` is the path in the database's layout, e.g. ID/GO-2022-0001.json. */
export class VulnDatabaseError extends Error {
  readonly file: string;
  readonly problem: string;

  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.file = file;
    this.problem = problem;
    this.name = 'VulnDatabaseError';
  }
}

export type CheckedDatabase = {
  files: DatabaseFiles;
  modified: string;
  modulesIndex: ModulesIndex;
  entries: ReadonlyMap<string, OsvEntry>;
};

export function parseJsonFile<T>(file: string, bytes: Buffer, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new VulnDatabaseError(file, `not JSON (${(err as Error).message}; ${bytes.length} bytes, truncated or corrupt?)`);
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new VulnDatabaseError(file, `not the database's schema: ${describeSchemaError(result.error)}`);
  return result.data;
}

export const entryFile = (id: string) => `ID/${id}.json`;

/** Checks a whole database; throws VulnDatabaseError at the first problem. */
export function checkDatabaseFiles(files: DatabaseFiles): CheckedDatabase {
  const meta = parseJsonFile('index/db.json', files.db, databaseMetaSchema);
  const modulesIndex = parseJsonFile('index/modules.json', files.modules, modulesIndexSchema);
  const dbTime = Date.parse(meta.modified);

  // What modules.json says: each ID's modified, and the modules it lists the ID under.
  const indexed = new Map<string, { modified: string; modules: Set<string> }>();
  for (const module of modulesIndex) {
    for (const vuln of module.vulns) {
      const known = indexed.get(vuln.id);
      if (known && Date.parse(known.modified) !== Date.parse(vuln.modified)) {
        throw new VulnDatabaseError('index/modules.json', `${vuln.id} is listed with two different modified times (${known.modified}, ${vuln.modified})`);
      }
      const record = known ?? { modified: vuln.modified, modules: new Set<string>() };
      record.modules.add(module.path);
      indexed.set(vuln.id, record);
    }
  }

  const entries = new Map<string, OsvEntry>();
  for (const [id, expected] of indexed) {
    const file = entryFile(id);
    const bytes = files.entries.get(id);
    if (!bytes) throw new VulnDatabaseError(file, 'listed in index/modules.json but missing');
    const entry = parseJsonFile(file, bytes, osvEntrySchema);
    if (entry.id !== id) throw new VulnDatabaseError(file, `holds entry ${entry.id}, not ${id}`);
    if (Date.parse(entry.modified) !== Date.parse(expected.modified)) {
      throw new VulnDatabaseError(file, `modified ${entry.modified}, but index/modules.json says ${expected.modified}`);
    }
    if (Date.parse(entry.modified) > dbTime) {
      throw new VulnDatabaseError(file, `modified ${entry.modified}, after index/db.json's ${meta.modified}`);
    }
    const named = new Set(entry.affected.map((a) => a.package.name));
    const missing = [...named].find((module) => !expected.modules.has(module));
    if (missing) throw new VulnDatabaseError('index/modules.json', `does not list ${id} under ${missing}, which the entry affects`);
    const extra = [...expected.modules].find((module) => !named.has(module));
    if (extra) throw new VulnDatabaseError('index/modules.json', `lists ${id} under ${extra}, which the entry does not name in "affected"`);
    entries.set(id, entry);
  }
  const unlisted = [...files.entries.keys()].find((id) => !indexed.has(id));
  if (unlisted) throw new VulnDatabaseError(entryFile(unlisted), 'not listed in index/modules.json');
  return { files, modified: meta.modified, modulesIndex, entries };
}

/** The mutable part every view of the current snapshot shares. */
export type RefreshStatus = { refreshedAt: Date; stale: boolean };

/** A served file: the upstream's JSON bytes and their gzip form (made once, when first asked for). */
export type ServedFile = { json: Buffer; gzip(): Buffer };

/** The files a snapshot serves under /vulndb/, by path in the database layout. */
const INDEX_FILES = ['index/db.json', 'index/modules.json', 'index/vulns.json'] as const;

export class MirroredSnapshot implements VulnSnapshot {
  readonly modified: string;
  private readonly byModule = new Map<string, OsvEntry[]>();
  private readonly gzipped = new Map<string, Buffer>();
  private vulnsIndex: Buffer | undefined;
  readonly database: CheckedDatabase;
  private readonly status: RefreshStatus;

  constructor(database: CheckedDatabase, status: RefreshStatus) {
    this.database = database;
    this.status = status;
    this.modified = database.modified;
    for (const entry of [...database.entries.values()].sort((a, b) => a.id.localeCompare(b.id))) {
      for (const module of new Set(entry.affected.map((a) => a.package.name))) {
        const list = this.byModule.get(module) ?? [];
        list.push(entry);
        this.byModule.set(module, list);
      }
    }
  }

  get refreshedAt(): Date {
    return this.status.refreshedAt;
  }

  get stale(): boolean {
    return this.status.stale;
  }

  entriesForModule(modulePath: string): readonly OsvEntry[] {
    return this.byModule.get(modulePath) ?? [];
  }

  entry(id: string): OsvEntry | undefined {
    return this.database.entries.get(id);
  }

  ids(): Iterable<string> {
    return this.database.entries.keys();
  }

  /** A file of the database layout (`index/db.json`, `ID/GO-….json`), or undefined. */
  file(path: string): ServedFile | undefined {
    const json = this.jsonBytes(path);
    if (!json) return undefined;
    return {
      json,
      gzip: () => {
        let gzip = this.gzipped.get(path);
        if (!gzip) {
          gzip = gzipSync(json);
          this.gzipped.set(path, gzip);
        }
        return gzip;
      },
    };
  }

  private jsonBytes(path: string): Buffer | undefined {
    const { files } = this.database;
    if (path === INDEX_FILES[0]) return files.db;
    if (path === INDEX_FILES[1]) return files.modules;
    if (path === INDEX_FILES[2]) return (this.vulnsIndex ??= vulnsIndex(this.database.entries));
    const id = /^ID\/([^/]+)\.json$/.exec(path)?.[1];
    return id !== undefined && GO_VULN_ID.test(id) ? files.entries.get(id) : undefined;
  }
}

/** `index/vulns.json` as the database publishes it: every ID with its modified time and aliases. */
function vulnsIndex(entries: ReadonlyMap<string, OsvEntry>): Buffer {
  const list = [...entries.values()]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((entry) => ({ id: entry.id, modified: entry.modified, ...(entry.aliases?.length ? { aliases: entry.aliases } : {}) }));
  return Buffer.from(JSON.stringify(list));
}
