/**
 * An informer: a local copy of one collection kept current by list, then watch from the list's
 * resourceVersion. When a watch ends or breaks it is started again from the last resourceVersion
 * seen (bookmarks keep that fresh); when the apiserver answers 410 Gone, that version is no longer
 * kept and the informer lists again, telling its handler about whatever changed meanwhile,
 * deletions included. Handlers only learn keys; they must not do work (they enqueue).
 */
import type { Logger } from 'pino';
import type { KubeObject } from '../render/index.ts';
import { KubeApiError, type KubeApi, type WatchEvent } from './kubeApi.ts';

export type InformerHandler = (object: KubeObject, previous: KubeObject | undefined, deleted: boolean) => void;

export type InformerOptions = {
  api: KubeApi;
  /** The collection's path, e.g. /apis/apps/v1/deployments (every namespace). */
  path: string;
  labelSelector?: string;
  /** Ask for PartialObjectMetadata only (e.g. Secrets: whether one exists, never its data). */
  metadataOnly?: boolean;
  onChange: InformerHandler;
  logger: Logger;
  /** The longest wait before watching again after an error (default 5 s: an apiserver restart is short). */
  maxBackoffMs?: number;
};

export function objectKey(object: { metadata: { name: string; namespace?: string } }): string {
  return object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : object.metadata.name;
}

export class Informer {
  private readonly store = new Map<string, KubeObject>();
  private resourceVersion = '';
  private synced = false;
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  /** Lists done, watches started and 410 Gone answers: for /metrics and the tests. */
  readonly counts = { lists: 0, watches: 0, expired: 0 };
  private readonly options: InformerOptions;

  constructor(options: InformerOptions) {
    this.options = options;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  get(key: string): KubeObject | undefined {
    return this.store.get(key);
  }

  list(): KubeObject[] {
    return [...this.store.values()];
  }

  /** Lists once (resolving when the copy is complete), then keeps watching until stop(). */
  async start(): Promise<void> {
    let backoff = 200;
    for (;;) {
      try {
        await this.relist();
        break;
      } catch (err) {
        if (this.stopping.signal.aborted) return;
        const hint = err instanceof KubeApiError && err.status === 404 ? ' (is the CRD installed? kubectl apply -f crds/)' : '';
        this.options.logger.warn({ path: this.options.path, err: (err as Error).message, retryInMs: backoff }, `list failed${hint}`);
        await sleep(backoff, this.stopping.signal);
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs ?? 5_000);
      }
    }
    this.running = this.watchLoop();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async relist(): Promise<void> {
    const { api, path, labelSelector } = this.options;
    this.counts.lists++;
    const listed = await api.list(path, labelSelector, this.options.metadataOnly);
    const seen = new Set<string>();
    for (const object of listed.items) {
      const key = objectKey(object);
      seen.add(key);
      const previous = this.store.get(key);
      this.store.set(key, object);
      if (previous?.metadata.resourceVersion !== object.metadata.resourceVersion) this.options.onChange(object, previous, false);
    }
    for (const [key, object] of this.store) {
      if (!seen.has(key)) {
        this.store.delete(key);
        this.options.onChange(object, object, true);
      }
    }
    this.resourceVersion = listed.resourceVersion;
    this.synced = true;
  }

  private async watchLoop(): Promise<void> {
    const { api, path, labelSelector, logger } = this.options;
    const maxBackoff = this.options.maxBackoffMs ?? 5_000;
    let backoff = 200;
    while (!this.stopping.signal.aborted) {
      try {
        this.counts.watches++;
        let expired = false;
        await api.watch(path, this.resourceVersion, labelSelector, (event) => {
          if (this.applyEvent(event) === 'expired') expired = true;
        }, this.stopping.signal, this.options.metadataOnly);
        backoff = 200;
        if (expired) {
          this.counts.expired++;
          logger.info({ path, resourceVersion: this.resourceVersion }, 'watch expired (410 Gone): listing again');
          await this.relist();
        }
      } catch (err) {
        if (this.stopping.signal.aborted) return;
        if (err instanceof KubeApiError && err.status === 410) {
          this.counts.expired++;
          await this.relist().catch((listError: unknown) => logger.warn({ path, err: (listError as Error).message }, 'list failed'));
          continue;
        }
        logger.warn({ path, err: (err as Error).message, retryInMs: backoff }, 'watch broke: watching again');
        await sleep(backoff, this.stopping.signal);
        backoff = Math.min(backoff * 2, maxBackoff);
      }
    }
  }

  /** Applies one event to the copy; 'expired' when the apiserver said the version is gone. */
  private applyEvent(event: WatchEvent): 'expired' | undefined {
    const object = event.object;
    if (event.type === 'ERROR') {
      if (object.code === 410) return 'expired';
      throw new Error(`watch of ${this.options.path} failed: ${object.message ?? JSON.stringify(object)}`);
    }
    if (object.metadata.resourceVersion) this.resourceVersion = object.metadata.resourceVersion;
    if (event.type === 'BOOKMARK') return undefined;
    const key = objectKey(object);
    const previous = this.store.get(key);
    if (event.type === 'DELETED') {
      this.store.delete(key);
      this.options.onChange(object, previous, true);
    } else {
      this.store.set(key, object);
      this.options.onChange(object, previous, false);
    }
    return undefined;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
