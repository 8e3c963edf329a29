/**
 * An informer: client-node's ListWatch keeps a local copy of one collection (list, then watch
 * from the list's resourceVersion; when the apiserver answers 410 Gone it lists again and tells
 * its handlers what changed meanwhile, deletions included). Handlers only learn objects; they
 * must not do work (they enqueue).
 *
 * Kept here, around it, where client-node cannot do the job: its Watch sends no
 * allowWatchBookmarks, cannot ask for PartialObjectMetadata (Secrets: whether one exists, never
 * their data) and bypasses KubeApi's request counts, so the watches go through KubeApi; and
 * ListWatch stops at the first failed list or watch, so this tries again with back-off.
 */
import { ListWatch, type KubernetesListObject, type KubernetesObject, type Watch } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeObject } from '../render/index.ts';
import { KubeApiError, type KubeApi } from './kubeApi.ts';

export type InformerHandler = (object: KubeObject, deleted: boolean) => void;

export type InformerOptions = {
  api: KubeApi;
  /** The collection's path, e.g. /apis/apps/v1/deployments (every namespace). */
  path: string;
  labelSelector?: string;
  /** Ask for PartialObjectMetadata only (e.g. Secrets: whether one exists, never its data). */
  metadataOnly?: boolean;
  onChange: InformerHandler;
  logger: Logger;
  /** The longest wait before trying again after an error (default 5 s: an apiserver restart is short). */
  maxBackoffMs?: number;
};

export function objectKey(object: { metadata: { name: string; namespace?: string } }): string {
  return object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : object.metadata.name;
}

const FIRST_BACKOFF_MS = 200;

export class Informer {
  /** Lists done, watches started and 410 Gone answers: for /metrics and the tests. */
  readonly counts = { lists: 0, watches: 0, expired: 0 };
  private readonly options: InformerOptions;
  private readonly listWatch: ListWatch<KubernetesObject>;
  private synced = false;
  private stopped = false;
  private backoffMs = FIRST_BACKOFF_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Watches under way, each aborted at stop(). */
  private readonly watching = new Set<AbortController>();
  private reportSynced: () => void = () => {};
  private readonly firstSync = new Promise<void>((resolve) => (this.reportSynced = resolve));

  constructor(options: InformerOptions) {
    this.options = options;
    const { api, path, labelSelector, metadataOnly } = options;
    const list = async (): Promise<KubernetesListObject<KubernetesObject>> => {
      this.counts.lists++;
      const listed = await api.list(path, labelSelector, metadataOnly);
      this.backoffMs = FIRST_BACKOFF_MS;
      return { items: listed.items as KubernetesObject[], metadata: { resourceVersion: listed.resourceVersion } };
    };
    this.listWatch = new ListWatch(path, this.watchThroughApi() as unknown as Watch, list, false, labelSelector);
    this.listWatch.on('add', (object) => options.onChange(object as KubeObject, false));
    this.listWatch.on('update', (object) => options.onChange(object as KubeObject, false));
    this.listWatch.on('delete', (object) => options.onChange(object as KubeObject, true));
    this.listWatch.on('error', (err) => this.retryAfterBackoff(err));
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  get(key: string): KubeObject | undefined {
    const slash = key.indexOf('/');
    return (slash < 0 ? this.listWatch.get(key) : this.listWatch.get(key.slice(slash + 1), key.slice(0, slash))) as KubeObject | undefined;
  }

  list(): KubeObject[] {
    return [...this.listWatch.list()] as KubeObject[];
  }

  /** Lists once (resolving when the copy is complete, or at stop()), then keeps watching until stop(). */
  async start(): Promise<void> {
    void this.listWatch.start();
    await this.firstSync;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.listWatch.stop();
    for (const watch of this.watching) watch.abort();
    this.reportSynced();
  }

  /** ListWatch's watch, made by KubeApi: bookmarks, metadata only where asked, counted. */
  private watchThroughApi(): Pick<Watch, 'watch'> {
    const { api, logger, metadataOnly } = this.options;
    return {
      watch: async (path, query, onEvent, done) => {
        const controller = new AbortController();
        // A list that was in flight at stop() ends in a watch request: none is started then, or
        // it would hold the connection open and keep the process from exiting.
        if (this.stopped) {
          controller.abort();
          return controller;
        }
        // ListWatch watches only once the list it holds is complete.
        this.synced = true;
        this.reportSynced();
        this.counts.watches++;
        this.watching.add(controller);
        const finished = () => this.watching.delete(controller);
        const resourceVersion = String(query['resourceVersion'] ?? '');
        const labelSelector = query['labelSelector'] === undefined ? undefined : String(query['labelSelector']);
        const expired = () => {
          this.counts.expired++;
          logger.info({ path, resourceVersion }, 'watch expired (410 Gone): listing again');
        };
        api.watch(path, resourceVersion, labelSelector, (event) => {
          if (event.type === 'ERROR' && event.object.code === 410) expired();
          if (event.type !== 'ERROR') this.backoffMs = FIRST_BACKOFF_MS;
          onEvent(event.type, event.object, event);
        }, controller.signal, metadataOnly).then(
          () => {
            finished();
            done(null);
          },
          (err: unknown) => {
            finished();
            if (controller.signal.aborted) return done(null);
            // ListWatch lists again when a failed watch carries statusCode 410.
            if (err instanceof KubeApiError && err.status === 410) {
              expired();
              return done(Object.assign(err, { statusCode: 410 }));
            }
            done(err);
          },
        );
        return controller;
      },
    };
  }

  private retryAfterBackoff(err: unknown): void {
    if (this.stopped) return;
    const { path, logger } = this.options;
    const hint = err instanceof KubeApiError && err.status === 404 ? ' (is the CRD installed? kubectl apply -f crds/)' : '';
    logger.warn({ path, err: (err as Error).message, retryInMs: this.backoffMs }, `list or watch failed${hint}: trying again`);
    this.retryTimer = setTimeout(() => void this.listWatch.start(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs ?? 5_000);
  }
}
