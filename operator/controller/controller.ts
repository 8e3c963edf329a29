/**
 * The controller: informers -> work queue -> reconcile workers. Event handlers only enqueue the
 * key of the GoModuleProxy concerned; workers take keys one at a time per key. A periodic resync
 * enqueues every GoModuleProxy again, which writes nothing when nothing changed.
 */
import type { Logger } from 'pino';
import { ownerKeyFromLabels, type KubeObject, type RenderOptions } from '../render/index.ts';
import { Caches } from './caches.ts';
import { objectKey } from './informer.ts';
import { readCleanupPod } from './lastCleanup.ts';
import type { KubeApi } from './kubeApi.ts';
import { OperatorMetrics } from './metrics.ts';
import { reconcile } from './reconcile.ts';
import { WorkQueue } from './workQueue.ts';

export type ControllerOptions = {
  api: KubeApi;
  render: RenderOptions;
  logger: Logger;
  /** Watch GoModuleProxies (and Secrets) in this namespace only; all namespaces when undefined. */
  watchNamespace?: string;
  workers: number;
  resyncPeriodMs: number;
  metrics: OperatorMetrics;
  /** Who reports the Events this operator records (its leader election identity). */
  identity: string;
};

export class Controller {
  readonly queue = new WorkQueue();
  readonly caches: Caches;
  /** Proxies waiting to move to the default image (imageRollout.ts): any Deployment's change wakes them. */
  private readonly heldForImage = new Set<string>();
  private readonly options: ControllerOptions;
  private workers: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Cleanup pods whose termination message was already said to be unreadable. */
  private readonly unreadableCleanupPods = new Set<string>();

  constructor(options: ControllerOptions) {
    this.options = options;
    const enqueueAll = () => {
      for (const proxy of this.caches.proxies.list()) this.queue.add(objectKey(proxy));
    };
    this.caches = new Caches(options.api, {
      onProxy: (object) => this.queue.add(objectKey(object)),
      onOwned: (object) => {
        const owner = ownerKeyFromLabels(object.metadata.labels);
        if (owner) this.queue.add(owner);
        if (object.kind === 'Deployment') for (const held of this.heldForImage) this.queue.add(held);
      },
      onCleanupPod: (pod, deleted) => {
        const owner = ownerKeyFromLabels(pod.metadata.labels);
        if (!owner) return;
        this.queue.add(owner);
        // Said once when a pod's message turns unreadable, not at every reconcile of its GoModuleProxy.
        const read = deleted ? undefined : readCleanupPod(pod);
        const key = objectKey(pod);
        if (read && !read.ok) {
          if (!this.unreadableCleanupPods.has(key)) {
            this.unreadableCleanupPods.add(key);
            options.logger.warn({ proxy: owner, pod: key, reason: read.reason }, 'cleanup pod\'s termination message ignored: not the JSON line gomodproxy cleanup --termination-message writes');
          }
        } else {
          this.unreadableCleanupPods.delete(key);
        }
      },
      onServingPod: (pod) => {
        const owner = ownerKeyFromLabels(pod.metadata.labels);
        if (owner) this.queue.add(owner);
      },
      onNamespace: enqueueAll,
      onSecret: (secret: KubeObject) => {
        for (const proxy of this.caches.proxies.list()) {
          if (proxy.metadata.namespace === secret.metadata.namespace) this.queue.add(objectKey(proxy));
        }
      },
    }, options.logger, options.watchNamespace);
  }

  /** Fills the caches, then starts the workers and the resync. */
  async start(): Promise<void> {
    await this.caches.start();
    if (this.stopped) return;
    this.options.logger.info({ proxies: this.caches.proxies.list().length }, 'caches synced: reconciling');
    for (let i = 0; i < this.options.workers; i++) this.workers.push(this.work());
    this.resyncTimer = setInterval(() => {
      for (const proxy of this.caches.proxies.list()) this.queue.add(objectKey(proxy));
    }, this.options.resyncPeriodMs);
  }

  private async work(): Promise<void> {
    const { logger, metrics } = this.options;
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const started = performance.now();
      try {
        const outcome = await reconcile({ api: this.options.api, caches: this.caches, render: this.options.render, logger, watchNamespace: this.options.watchNamespace, identity: this.options.identity, heldForImage: this.heldForImage, now: () => new Date() }, key);
        this.queue.forget(key);
        metrics.observeReconcile((performance.now() - started) / 1000, false);
        if (outcome.applied > 0 || outcome.problem) logger.info({ proxy: key, requests: outcome.applied, problem: outcome.problem?.message }, 'reconciled');
      } catch (err) {
        const retryInMs = this.queue.addRateLimited(key);
        metrics.observeReconcile((performance.now() - started) / 1000, true);
        logger.warn({ proxy: key, err: (err as Error).message, retryInMs }, 'reconcile failed');
      } finally {
        this.queue.done(key);
      }
    }
  }

  /** Stops taking work, lets reconciles in progress finish, then stops the watches. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resyncTimer);
    this.queue.shutDown();
    await Promise.all(this.workers);
    await this.caches.stop();
  }
}
