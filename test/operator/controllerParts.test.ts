// The controller's pure parts: the work queue's rules, condition transitions, MicroTime.
import { describe, expect, test } from 'vitest';
import { holdsDesired } from '../../operator/controller/applyOwned.ts';
import { mergeConditions } from '../../operator/controller/conditions.ts';
import { microTime } from '../../operator/controller/leaderElection.ts';
import { sameQuantity } from '../../operator/controller/quantity.ts';
import { WorkQueue } from '../../operator/controller/workQueue.ts';

describe('the work queue', () => {
  test('a key queued many times is handed out once', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    queue.add('b');
    queue.add('a');
    expect(queue.depth).toBe(2);
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBe('b');
  });

  test('a key is not handed out again while in progress; an event meanwhile queues it once for afterwards', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    const key = await queue.get();
    queue.add('a');
    queue.add('a');
    expect(queue.depth).toBe(0);
    queue.done(key!);
    expect(queue.depth).toBe(1);
    expect(await queue.get()).toBe('a');
  });

  test('back-off doubles per failure and forget() starts it over', () => {
    const queue = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 50 });
    expect([queue.addRateLimited('a'), queue.addRateLimited('a'), queue.addRateLimited('a'), queue.addRateLimited('a')]).toEqual([10, 20, 40, 50]);
    queue.forget('a');
    expect(queue.addRateLimited('a')).toBe(10);
    queue.shutDown();
  });

  test('shutDown releases a waiting worker with no key', async () => {
    const queue = new WorkQueue();
    const waiting = queue.get();
    queue.shutDown();
    expect(await waiting).toBeUndefined();
  });
});

describe('conditions', () => {
  const first = new Date('2026-01-01T00:00:00.000Z');
  const later = new Date('2026-01-01T01:00:00.000Z');
  const state = (status: 'True' | 'False', reason = 'R') => ({ status, reason, message: reason });
  const all = (ready: 'True' | 'False', reason = 'R') => ({ Ready: state(ready, reason), Progressing: state('False'), Degraded: state('False') });

  test('lastTransitionTime changes only when the status flips', () => {
    const before = mergeConditions(undefined, all('False'), 1, first);
    const sameStatusNewReason = mergeConditions(before, all('False', 'Other'), 2, later);
    expect(sameStatusNewReason[0]).toMatchObject({ type: 'Ready', reason: 'Other', observedGeneration: 2, lastTransitionTime: '2026-01-01T00:00:00Z' });
    const flipped = mergeConditions(before, all('True'), 2, later);
    expect(flipped[0]!.lastTransitionTime).toBe('2026-01-01T01:00:00Z');
    expect(flipped[1]!.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
  });
});

test('MicroTime has exactly six fractional digits, as the apiserver requires', () => {
  expect(microTime(new Date('2026-03-04T05:06:07.089Z'))).toBe('2026-03-04T05:06:07.089000Z');
});

describe('drift: the live object holds every value the rendering sets', () => {
  const desired = { env: [], spec: { replicas: 1, template: { spec: { containers: [{ name: 'gomodproxy', image: 'a:1', args: ['serve', '--config', 'c'] }] } } } };
  const live = (change: (copy: any) => void) => {
    const copy = structuredClone(desired) as any;
    copy.spec.template.spec.containers[0].imagePullPolicy = 'IfNotPresent';
    copy.spec.progressDeadlineSeconds = 600;
    change(copy);
    return copy;
  };
  test.each([
    ['fields the apiserver defaults', live(() => {}), true],
    ['an empty list the apiserver dropped', { ...live(() => {}), env: undefined }, true],
    ['an env entry another manager added', live((o) => (o.spec.template.spec.containers[0].env = [{ name: 'X', value: '1' }])), true],
    ['a sidecar another manager added', live((o) => o.spec.template.spec.containers.push({ name: 'mesh', image: 'm' })), true],
    ['the image edited by hand', live((o) => (o.spec.template.spec.containers[0].image = 'a:2')), false],
    ['the replicas scaled by hand', live((o) => (o.spec.replicas = 3)), false],
    ['an argument removed', live((o) => (o.spec.template.spec.containers[0].args = ['serve', 'c'])), false],
    ['the arguments reordered', live((o) => (o.spec.template.spec.containers[0].args = ['serve', 'c', '--config'])), false],
    ['the container removed', live((o) => (o.spec.template.spec.containers = [])), false],
  ])('%s: %s', (_name, liveObject, expected) => {
    expect(holdsDesired(liveObject, desired)).toBe(expected);
  });
});

describe('quantities: the apiserver\'s canonical form holds the value the spec wrote', () => {
  test.each([
    ['1Gi', '1073741824', true],
    ['500m', '0.5', true],
    ['1', '1000m', true],
    ['2k', '2000', true],
    ['1.5Gi', '1536Mi', true],
    ['1e3', '1k', true],
    ['100n', '0.0000001', true],
    ['1Gi', '1G', false],
    ['500m', '0.51', false],
    ['1Gi', 'lots', false],
  ])('%s and %s: %s', (a, b, expected) => {
    expect(sameQuantity(a, b)).toBe(expected);
    expect(sameQuantity(b, a)).toBe(expected);
  });

  const desired = { spec: { resources: { requests: { storage: '1073741824' } }, template: { spec: {
    containers: [{ name: 'p', resources: { requests: { cpu: '0.5', memory: '134217728' }, limits: { memory: '1Gi' } } }],
    volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '2048Mi' } }],
  } } } };
  const canonical = { spec: { resources: { requests: { storage: '1Gi' } }, template: { spec: {
    containers: [{ name: 'p', resources: { requests: { cpu: '500m', memory: '128Mi' }, limits: { memory: '1Gi' } } }],
    volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '2Gi' } }],
  } } } };
  test('requests, limits and sizeLimit as the apiserver stores them hold the rendered values', () => {
    expect(holdsDesired(canonical, desired)).toBe(true);
  });
  test('a changed quantity is drift', () => {
    const edited = structuredClone(canonical);
    edited.spec.template.spec.containers[0]!.resources.requests.cpu = '1';
    expect(holdsDesired(edited, desired)).toBe(false);
  });
  test('strings elsewhere are compared as they are', () => {
    expect(holdsDesired({ data: { size: '1Gi' } }, { data: { size: '1073741824' } })).toBe(false);
  });
});
