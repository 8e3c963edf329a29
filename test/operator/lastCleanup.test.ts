// status.lastCleanup from the cleanup pods' termination messages, without a cluster.
import { describe, expect, test } from 'vitest';
import { latestCleanup, parseTerminationMessage, readCleanupPod } from '../../operator/controller/lastCleanup.ts';
import type { KubeObject } from '../../operator/render/index.ts';

const report = { time: '2026-11-20T03:17:42.123Z', removedVersions: 4, freedBytes: 25165824 };
const later = { time: '2026-11-21T03:17:40.000Z', removedVersions: 0, freedBytes: 0 };

function cleanupPod(name: string, message: string | undefined, phase = 'Succeeded', namespace = 'goproxy'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    status: { phase, containerStatuses: [{ name: 'cleanup', state: { terminated: { exitCode: 0, ...(message === undefined ? {} : { message }) } } }] },
  };
}

describe('the cleanup\'s termination message', () => {
  test.each([
    ['the line cleanup writes', `${JSON.stringify(report)}\n`, { ok: true, report }],
    ['fields of a newer cleanup are dropped', JSON.stringify({ ...report, modules: 3 }), { ok: true, report }],
    ['not JSON', 'Error: EACCES', { ok: false, reason: 'not JSON: "Error: EACCES"' }],
    ['a missing field', JSON.stringify({ time: report.time, removedVersions: 4 }), { ok: false, reason: expect.stringMatching(/^freedBytes: /) }],
    ['a negative count', JSON.stringify({ ...report, removedVersions: -1 }), { ok: false, reason: expect.stringMatching(/^removedVersions: /) }],
    ['a fraction of a byte', JSON.stringify({ ...report, freedBytes: 1.5 }), { ok: false, reason: expect.stringMatching(/^freedBytes: /) }],
    ['a time that is no RFC 3339 time', JSON.stringify({ ...report, time: 'yesterday' }), { ok: false, reason: expect.stringMatching(/^time: /) }],
    ['a number', '42', { ok: false, reason: expect.stringMatching(/^the message: /) }],
  ])('%s', (_, message, expected) => {
    expect(parseTerminationMessage(message.trim())).toEqual(expected);
  });

  test('only a Succeeded pod with a message reports', () => {
    expect(readCleanupPod(cleanupPod('a', JSON.stringify(report)))).toEqual({ ok: true, report });
    expect(readCleanupPod(cleanupPod('a', JSON.stringify(report), 'Running'))).toBeUndefined();
    expect(readCleanupPod(cleanupPod('a', JSON.stringify(report), 'Failed'))).toBeUndefined();
    expect(readCleanupPod(cleanupPod('a', undefined))).toBeUndefined();
    expect(readCleanupPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'new', namespace: 'goproxy' } })).toBeUndefined();
  });
});

describe('status.lastCleanup', () => {
  test.each([
    ['a first report is taken', undefined, [cleanupPod('a', JSON.stringify(report))], report],
    ['a later report replaces the current one', report, [cleanupPod('b', JSON.stringify(later))], later],
    ['an older report changes nothing', later, [cleanupPod('a', JSON.stringify(report))], later],
    ['the same report changes nothing', report, [cleanupPod('a', JSON.stringify(report))], report],
    ['of several pods, the latest report wins', undefined, [cleanupPod('b', JSON.stringify(later)), cleanupPod('a', JSON.stringify(report))], later],
    ['a malformed message changes nothing', report, [cleanupPod('c', '{"time":"2026-11-22T03:17:40.000Z"}'), cleanupPod('d', 'panic')], report],
    ['a malformed newest pod does not hide a valid one', undefined, [cleanupPod('c', 'panic'), cleanupPod('a', JSON.stringify(report))], report],
    ['no report leaves none', undefined, [cleanupPod('r', undefined, 'Running')], undefined],
    ['a pod in another namespace is not heard', undefined, [cleanupPod('x', JSON.stringify(later), 'Succeeded', 'elsewhere')], undefined],
    ['a current time that does not parse is older than any report', { ...report, time: 'garbled' }, [cleanupPod('a', JSON.stringify(report))], report],
  ])('%s', (_, current, pods, expected) => {
    expect(latestCleanup(current, pods, 'goproxy')).toEqual(expected);
  });
});
