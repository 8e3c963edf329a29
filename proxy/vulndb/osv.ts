/**
 * An OSV entry as the Go vulnerability database writes it (https://go.dev/security/vulndb/#schema,
 * golang.org/x/vuln/internal/osv): one file `ID/<id>.json` per advisory. Only what govulncheck and
 * this proxy read is checked strictly; fields the database may add later pass through untouched
 * (the proxy serves the upstream's bytes, never a re-serialisation).
 *
 * The rules checked here:
 * - `id` is a Go database ID, `GO-<year>-<number>` (it becomes a path: `ID/<id>.json`);
 * - `modified` and `published` (and `withdrawn`) are RFC 3339 times;
 * - every `affected` names a Go module path (or the database's pseudo-modules `stdlib`, `toolchain`)
 *   in the ecosystem `Go`, with `SEMVER` ranges of `introduced`/`fixed` events whose versions carry
 *   no `v` (as the database writes them: `1.2.3`, `0.0.0-2021…`).
 */
import { z } from 'zod';

/** The Go vulnerability database's IDs, e.g. GO-2022-0969. */
export const GO_VULN_ID = /^GO-\d{4}-\d{4,}$/;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export const osvTime = z
  .string()
  .refine((value) => RFC3339.test(value) && Number.isFinite(Date.parse(value)), { message: 'not an RFC 3339 time such as 2023-04-03T15:57:51Z' });

/** A version in a range event: SemVer 2.0.0 without the leading "v" ("0" for "from the start"). */
const rangeVersion = z
  .string()
  .regex(/^(0|\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?)$/, { message: 'not a SemVer version without "v", e.g. 1.2.3 or 0' });

const rangeEvent = z.union([z.strictObject({ introduced: rangeVersion }), z.strictObject({ fixed: rangeVersion })], {
  error: 'a range event is { "introduced": version } or { "fixed": version }',
});

const osvRange = z.looseObject({
  type: z.literal('SEMVER', { error: 'the Go database uses "SEMVER" ranges only' }),
  events: z.array(rangeEvent).min(1),
});

const importedPackage = z.looseObject({
  path: z.string().min(1),
  goos: z.array(z.string()).optional(),
  goarch: z.array(z.string()).optional(),
  symbols: z.array(z.string().min(1)).optional(),
});

const affected = z.looseObject({
  package: z.looseObject({
    name: z.string().min(1).regex(/^[^\s]+$/, { message: 'a module path has no spaces' }),
    ecosystem: z.literal('Go', { error: 'the Go database lists ecosystem "Go" only' }),
  }),
  ranges: z.array(osvRange).optional(),
  ecosystem_specific: z
    .looseObject({
      imports: z.array(importedPackage).optional(),
    })
    .optional(),
  database_specific: z.looseObject({}).optional(),
});

export const osvEntrySchema = z.looseObject({
  schema_version: z.string().optional(),
  id: z.string().regex(GO_VULN_ID, { message: 'not a Go vulnerability ID such as GO-2022-0969' }),
  modified: osvTime,
  published: osvTime,
  withdrawn: osvTime.optional(),
  aliases: z.array(z.string().min(1)).optional(),
  related: z.array(z.string().min(1)).optional(),
  summary: z.string().optional(),
  details: z.string().optional(),
  affected: z.array(affected),
  references: z.array(z.looseObject({ type: z.string(), url: z.string() })).optional(),
  credits: z.array(z.looseObject({ name: z.string() })).optional(),
  database_specific: z.looseObject({ url: z.string().optional() }).optional(),
});

export type OsvEntry = z.output<typeof osvEntrySchema>;

/** `index/db.json`: when the database last changed (the newest entry's `modified`). */
export const databaseMetaSchema = z.looseObject({ modified: osvTime });

/** `index/modules.json`: each module with advisories, and those advisories' IDs and `modified`. */
export const modulesIndexSchema = z.array(
  z.looseObject({
    path: z.string().min(1),
    vulns: z.array(
      z.looseObject({
        id: z.string().regex(GO_VULN_ID, { message: 'not a Go vulnerability ID such as GO-2022-0969' }),
        modified: osvTime,
        fixed: z.string().optional(),
      }),
    ),
  }),
);

export type ModulesIndex = z.output<typeof modulesIndexSchema>;

/** The first problem zod found, as one line: "affected.0.package.ecosystem: the Go database lists…". */
export function describeSchemaError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'does not match the schema';
  const where = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
  return `${where}: ${issue.message}`;
}
