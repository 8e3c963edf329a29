// An operator upgrade moves the proxies that name no image to the new default one at a time.
import { describe, expect, test } from 'vitest';
import { defaultImageFor } from '../../operator/controller/imageRollout.ts';
import type { KubeObject } from '../../operator/render/index.ts';
import { goModuleProxy } from './fixtures.ts';

const deployment = (name: string, image: string, ready: number, extra: object = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'goproxy', generation: 2 },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'gomodproxy', image }] } } },
  status: { observedGeneration: 2, replicas: 1, updatedReplicas: 1, readyReplicas: ready, ...extra },
});

describe('the default image after an operator upgrade', () => {
  const proxy = goModuleProxy({ storage: { pvc: {} } });
  const own = deployment('corp', 'gomodproxy:1', 1);

  test.each([
    ['no other proxy is rolling: move', [deployment('a', 'gomodproxy:1', 1)], { image: 'gomodproxy:2', held: false }],
    ['another has moved and is ready: move', [deployment('a', 'gomodproxy:2', 1)], { image: 'gomodproxy:2', held: false }],
    ['another is rolling to the new image: hold', [deployment('a', 'gomodproxy:2', 0)], { image: 'gomodproxy:1', held: true }],
    [
      'another gave up (ProgressDeadlineExceeded): move',
      [deployment('a', 'gomodproxy:2', 0, { conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] })],
      { image: 'gomodproxy:2', held: false },
    ],
    ['another is rolling, but to something else: move', [deployment('a', 'custom:7', 0)], { image: 'gomodproxy:2', held: false }],
  ])('%s', (_name, others, expected) => {
    expect(defaultImageFor(proxy, own, others, 'gomodproxy:2')).toEqual(expected);
  });

  test('a proxy with no Deployment yet, or one already on the default, gets it at once', () => {
    const busy = [deployment('a', 'gomodproxy:2', 0)];
    expect(defaultImageFor(proxy, undefined, busy, 'gomodproxy:2')).toEqual({ image: 'gomodproxy:2', held: false });
    expect(defaultImageFor(proxy, deployment('corp', 'gomodproxy:2', 0), busy, 'gomodproxy:2')).toEqual({ image: 'gomodproxy:2', held: false });
  });
});
