// Which advisories affect a module version: a table of cases (x/vuln's own test cases among them),
// each also put to govulncheck's own code (affectingVulnerabilities and FixedVersion of the pinned
// golang.org/x/vuln, built by test/vuln/ensureAffectsChecker.sh), which must agree with the table.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { entryAffects, fixedVersion, osvLess, rangeContains, type OsvAffected, type OsvRange } from '../../../proxy/vulndb/affects.ts';
import { repositoryRoot } from '../../e2e/harness.ts';

const M = 'example.com/m';

type Case = {
  name: string;
  version: string;
  affected: OsvAffected[];
  withdrawn?: string;
  module?: string;
  /** Whether the entry affects module@version, and govulncheck's "Fixed in" when it does. */
  want: { affects: false } | { affects: true; fixed: string };
};

const semver = (...events: Array<{ introduced: string } | { fixed: string }>): OsvRange => ({ type: 'SEMVER', events });
const on = (ranges: OsvRange[] | undefined, name = M): OsvAffected => (ranges ? { package: { name }, ranges } : { package: { name } });

const CASES: Case[] = [
  // x/vuln internal/semver TestAffectsSemver
  { name: 'no ranges: every version', version: 'v0.0.0', affected: [on([])], want: { affects: true, fixed: '' } },
  { name: 'a SEMVER range without events: every version', version: 'v0.0.0', affected: [on([{ type: 'SEMVER' }])], want: { affects: true, fixed: '' } },
  { name: 'introduced 0 alone: every version, no fix', version: 'v0.0.0', affected: [on([semver({ introduced: '0' })])], want: { affects: true, fixed: '' } },
  { name: 'below the fix', version: 'v1.0.0', affected: [on([semver({ introduced: '0' }, { fixed: '2.0.0' })])], want: { affects: true, fixed: 'v2.0.0' } },
  { name: 'after an introduction without fix', version: 'v1.0.0', affected: [on([semver({ introduced: '0.0.1' })])], want: { affects: true, fixed: '' } },
  { name: 'introduced is inclusive', version: 'v1.0.0', affected: [on([semver({ introduced: '1.0.0' }, { fixed: '2.0.0' })])], want: { affects: true, fixed: 'v2.0.0' } },
  { name: 'fixed is exclusive', version: 'v2.0.0', affected: [on([semver({ introduced: '1.0.0' }, { fixed: '2.0.0' })])], want: { affects: false } },
  { name: 'above the range', version: 'v3.0.0', affected: [on([semver({ introduced: '1.0.0' }, { fixed: '2.0.0' })])], want: { affects: false } },
  {
    name: 'reintroduced after a fix',
    version: 'v3.0.0',
    affected: [on([semver({ introduced: '1.0.0' }, { fixed: '2.0.0' }, { introduced: '3.0.0' })])],
    want: { affects: true, fixed: '' },
  },
  {
    name: 'between two stretches',
    version: 'v1.18.6',
    affected: [on([semver({ introduced: '0' }, { fixed: '1.18.6' }, { introduced: '1.19.0' }, { fixed: '1.19.1' })])],
    want: { affects: false },
  },
  {
    name: 'events out of order are sorted',
    version: 'v1.18.1',
    affected: [on([semver({ introduced: '1.19.0' }, { fixed: '1.19.1' }, { introduced: '0' }, { fixed: '1.18.6' })])],
    want: { affects: true, fixed: 'v1.18.6' },
  },
  { name: 'only a range of another type: every version', version: 'v3.0.0', affected: [on([{ type: 'ECOSYSTEM', events: [{ introduced: '4.0.0' }] }])], want: { affects: true, fixed: '' } },
  {
    name: 'the SEMVER range decides beside another type',
    version: 'v3.0.0',
    affected: [on([{ type: 'ECOSYSTEM', events: [{ introduced: '3.0.0' }] }, semver({ introduced: '4.0.0' })])],
    want: { affects: false },
  },
  // x/vuln internal/vulncheck TestFixedVersion
  { name: 'versions written with v', version: 'v1.0.1', affected: [on([semver({ introduced: 'v1.0.0' }, { fixed: 'v1.2.3' })])], want: { affects: true, fixed: 'v1.2.3' } },
  {
    name: 'several items of the module: the fix of the stretch the version is in',
    version: 'v1.2.0',
    affected: [
      on([semver({ introduced: '1.0.0' }, { fixed: '1.2.3' }, { introduced: '1.5.0' }, { fixed: '1.5.6' })]),
      on([semver({ introduced: '1.3.0' }, { fixed: '1.4.1' })]),
      on([semver({ introduced: '0' }, { fixed: '1.6.0' })], 'example.com/another'),
    ],
    want: { affects: true, fixed: 'v1.2.3' },
  },
  {
    name: 'a fix that another item re-enters is skipped',
    version: 'v1.2.0',
    affected: [on([semver({ introduced: '1.0.0' }, { fixed: '1.2.3' }, { introduced: '1.5.0' })]), on([semver({ introduced: '1.2.0' }, { fixed: '1.4.1' })])],
    want: { affects: true, fixed: 'v1.4.1' },
  },
  // The module path
  { name: 'another module', version: 'v1.0.0', affected: [on([semver({ introduced: '0' })], 'example.com/other')], want: { affects: false } },
  { name: 'the module path is matched exactly, not as a prefix', version: 'v1.0.0', affected: [on([semver({ introduced: '0' })], 'example.com')], want: { affects: false } },
  { name: 'a major version is another module', module: 'example.com/m/v2', version: 'v2.0.0', affected: [on([semver({ introduced: '0' }, { fixed: '1.5.0' })])], want: { affects: false } },
  // Withdrawn entries
  { name: 'withdrawn in the past', version: 'v1.0.0', withdrawn: '2024-01-01T00:00:00Z', affected: [on([semver({ introduced: '0' })])], want: { affects: false } },
  { name: 'withdrawn only in the future', version: 'v1.0.0', withdrawn: '2999-01-01T00:00:00Z', affected: [on([semver({ introduced: '0' }, { fixed: '1.1.0' })])], want: { affects: true, fixed: 'v1.1.0' } },
  // Pre-releases and pseudo-versions are compared by their semver
  { name: 'a pre-release of the fixed version', version: 'v1.2.3-rc.1', affected: [on([semver({ introduced: '0' }, { fixed: '1.2.3' })])], want: { affects: true, fixed: 'v1.2.3' } },
  {
    name: 'a pseudo-version before the fixing commit',
    version: 'v0.0.0-20230101000000-abcdefabcdef',
    affected: [on([semver({ introduced: '0' }, { fixed: '0.0.0-20230601000000-123456123456' })])],
    want: { affects: true, fixed: 'v0.0.0-20230601000000-123456123456' },
  },
  {
    name: 'a pseudo-version after the fixing commit',
    version: 'v0.0.0-20230701000000-abcdefabcdef',
    affected: [on([semver({ introduced: '0' }, { fixed: '0.0.0-20230601000000-123456123456' })])],
    want: { affects: false },
  },
  {
    name: 'a pseudo-version after v1.2.3 sorts below v1.2.4',
    version: 'v1.2.4-0.20230101000000-abcdefabcdef',
    affected: [on([semver({ introduced: '1.0.0' }, { fixed: '1.2.4' })])],
    want: { affects: true, fixed: 'v1.2.4' },
  },
  {
    name: 'a pseudo-version after the fixed release',
    version: 'v1.2.5-0.20230101000000-abcdefabcdef',
    affected: [on([semver({ introduced: '1.0.0' }, { fixed: '1.2.4' })])],
    want: { affects: false },
  },
  // +incompatible: build metadata does not count
  {
    name: '+incompatible below a fix written with +incompatible',
    module: 'github.com/docker/docker',
    version: 'v20.10.10+incompatible',
    affected: [on([semver({ introduced: '0' }, { fixed: '20.10.11+incompatible' })], 'github.com/docker/docker')],
    want: { affects: true, fixed: 'v20.10.11+incompatible' },
  },
  {
    name: '+incompatible at the fix',
    module: 'github.com/docker/docker',
    version: 'v20.10.11+incompatible',
    affected: [on([semver({ introduced: '0' }, { fixed: '20.10.11+incompatible' })], 'github.com/docker/docker')],
    want: { affects: false },
  },
  {
    name: '+incompatible against a fix written without it',
    module: 'github.com/docker/docker',
    version: 'v20.10.10+incompatible',
    affected: [on([semver({ introduced: '0' }, { fixed: '20.10.11' })], 'github.com/docker/docker')],
    want: { affects: true, fixed: 'v20.10.11' },
  },
  // The Go distribution's pseudo-modules are no module the proxy stores
  { name: 'stdlib', module: 'stdlib', version: 'v1.21.0', affected: [on([semver({ introduced: '0' }, { fixed: '1.21.1' })], 'stdlib')], want: { affects: false } },
  { name: 'toolchain', module: 'toolchain', version: 'v1.21.0', affected: [on([semver({ introduced: '0' }, { fixed: '1.21.1' })], 'toolchain')], want: { affects: false } },
  // A version nobody can see is never reported
  { name: 'an empty version', version: '', affected: [on([semver({ introduced: '0' })])], want: { affects: false } },
];

const entryOf = (c: Case, index: number) => ({
  id: `GO-2024-${String(1000 + index).padStart(4, '0')}`,
  modified: '2024-01-01T00:00:00Z',
  ...(c.withdrawn ? { withdrawn: c.withdrawn } : {}),
  affected: c.affected.map((item) => ({ ...item, package: { ...item.package, ecosystem: 'Go' } })),
});

describe('entryAffects and fixedVersion', () => {
  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, index) => {
    const entry = entryOf(c, index);
    const module = c.module ?? M;
    expect(entryAffects(entry, module, c.version)).toBe(c.want.affects);
    if (c.want.affects) expect(fixedVersion(entry, module, c.version)).toBe(c.want.fixed);
  });

  // stdlib and toolchain are excluded by the proxy, not by govulncheck (which never asks for them as modules).
  const askedOfGovulncheck = CASES.filter((c) => c.module !== 'stdlib' && c.module !== 'toolchain');

  describe("and govulncheck's own code", () => {
    let checker: string;
    beforeAll(() => {
      checker = execFileSync(join(repositoryRoot, 'test/vuln/ensureAffectsChecker.sh'), { encoding: 'utf8' }).trim();
    }, 600_000);

    it('agree on every case of the table', () => {
      const questions = askedOfGovulncheck.map((c) => JSON.stringify({ module: c.module ?? M, version: c.version, entries: [entryOf(c, CASES.indexOf(c))] }));
      const answers = execFileSync(checker, { input: `${questions.join('\n')}\n`, encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { ids: string[]; fixed: string[] });
      expect(answers).toHaveLength(askedOfGovulncheck.length);
      const byGovulncheck = askedOfGovulncheck.map((c, i) => ({ name: c.name, affects: answers[i]!.ids.length > 0, fixed: answers[i]!.fixed[0] ?? null }));
      const byTable = askedOfGovulncheck.map((c) => ({ name: c.name, affects: c.want.affects, fixed: c.want.affects ? c.want.fixed : null }));
      expect(byGovulncheck).toEqual(byTable);
    });
  });
});

describe('rangeContains and osvLess', () => {
  it.each([
    ['1.2.3', 'v1.2.4', true],
    ['v1.2.3', '1.2.3', false],
    ['go1.21.0', '1.21.1', true],
    ['', '0.0.1', true],
    ['1.2.3+incompatible', '1.2.3', false],
  ] as const)('%s < %s is %s', (a, b, less) => {
    expect(osvLess(a, b)).toBe(less);
  });

  it('a range of another type contains nothing', () => {
    expect(rangeContains({ type: 'GIT', events: [{ introduced: '0' }] }, 'v1.0.0')).toBe(false);
  });
});
