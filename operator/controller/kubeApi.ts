/**
 * The operator's way to the Kubernetes API. @kubernetes/client-node reads the kubeconfig (a file,
 * or the pod's service account) and gives the credentials; the requests themselves go through
 * undici, the project's one HTTP client, because the operator needs exactly what the API offers:
 * server-side apply as `application/apply-patch+yaml` with a field manager, watches streamed line
 * by line with resourceVersion and bookmarks, and a count of every request for /metrics.
 * Ours, not client-node's KubernetesObjectApi: that one always asks for whole objects (no
 * PartialObjectMetadata for Secrets), finds a kind's plural by discovery requests, and cannot watch.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { Agent, request, type Dispatcher } from 'undici';
import { KIND, PLURAL } from '../api/goModuleProxy.ts';
import type { KubeObject } from '../render/index.ts';

/** An answer of the API that was not 2xx, with the Status message the apiserver gave. */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  /** The apiserver's own message (the Status message), without the request. */
  readonly detail: string;
  constructor(method: string, path: string, status: number, body: string) {
    let message = body.slice(0, 500);
    let reason: string | undefined;
    try {
      const parsed = JSON.parse(body) as { message?: string; reason?: string };
      message = parsed.message ?? message;
      reason = parsed.reason;
    } catch {
      // Not a Status object: keep the text.
    }
    super(`${method} ${path}: ${status} ${message}`);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
    this.detail = message;
  }
}

const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
const METADATA_OBJECT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

export type ListResult = { items: KubeObject[]; resourceVersion: string };

export type WatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'; object: KubeObject & { code?: number; message?: string } };

/** Requests by verb since start: what /metrics shows and what the benchmark counts. */
export type RequestCounts = Record<'get' | 'list' | 'watch' | 'apply' | 'create' | 'update' | 'delete' | 'patch', number>;

export type KubeApiOptions = {
  /** A kubeconfig file; without it, the pod's service account (in a cluster) or ~/.kube/config. */
  kubeconfig?: string;
  /** The field manager of every apply. */
  fieldManager: string;
};

/** The REST path of a kind's collection, or of one object when name is given. */
export function resourcePath(apiVersion: string, plural: string, namespace?: string, name?: string): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** The resource name of each kind the operator reads or writes. */
const PLURALS: Record<string, string> = {
  ConfigMap: 'configmaps',
  Service: 'services',
  PersistentVolumeClaim: 'persistentvolumeclaims',
  Deployment: 'deployments',
  CronJob: 'cronjobs',
  PodDisruptionBudget: 'poddisruptionbudgets',
  NetworkPolicy: 'networkpolicies',
  PodMonitor: 'podmonitors',
  Namespace: 'namespaces',
  Secret: 'secrets',
  Lease: 'leases',
  [KIND]: PLURAL,
};

export function pluralOf(kind: string): string {
  const plural = PLURALS[kind];
  if (!plural) throw new Error(`no REST path known for kind ${kind}`);
  return plural;
}

export function objectPath(object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  return resourcePath(object.apiVersion, pluralOf(object.kind), object.metadata.namespace, object.metadata.name);
}

export class KubeApi {
  readonly server: string;
  readonly fieldManager: string;
  readonly requests: RequestCounts = { get: 0, list: 0, watch: 0, apply: 0, create: 0, update: 0, delete: 0, patch: 0 };
  private readonly dispatcher: Dispatcher;
  private readonly config: KubeConfig;

  private constructor(config: KubeConfig, dispatcher: Dispatcher, fieldManager: string) {
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster: set current-context, or pass --kubeconfig');
    this.server = cluster.server.replace(/\/+$/, '');
    this.config = config;
    this.dispatcher = dispatcher;
    this.fieldManager = fieldManager;
  }

  static async connect(options: KubeApiOptions): Promise<KubeApi> {
    const config = new KubeConfig();
    if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
    else config.loadFromDefault();
    const tls: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; rejectUnauthorized?: boolean } = {};
    await config.applyToHTTPSOptions(tls as never);
    const dispatcher = new Agent({
      connect: { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.rejectUnauthorized ?? true },
      // Watches are idle for long stretches; the apiserver ends them itself after minutes.
      bodyTimeout: 0,
      headersTimeout: 30_000,
    });
    return new KubeApi(config, dispatcher, options.fieldManager);
  }

  /** Authorization headers, asked of the kubeconfig each time: tokens of a service account rotate. */
  private async authHeaders(): Promise<Record<string, string>> {
    const options: { headers?: Record<string, string> } = { headers: {} };
    await this.config.applyToHTTPSOptions(options as never);
    return options.headers ?? {};
  }

  private async send(
    verb: keyof RequestCounts,
    method: Dispatcher.HttpMethod,
    path: string,
    body?: { text: string; contentType: string },
    signal?: AbortSignal,
    accept = 'application/json',
  ): Promise<Dispatcher.ResponseData> {
    this.requests[verb]++;
    const headers: Record<string, string> = { accept, ...(await this.authHeaders()) };
    if (body) headers['content-type'] = body.contentType;
    return request(`${this.server}${path}`, { method, headers, body: body?.text, dispatcher: this.dispatcher, signal });
  }

  private async json<T>(verb: keyof RequestCounts, method: Dispatcher.HttpMethod, path: string, body?: { text: string; contentType: string }, accept?: string): Promise<T> {
    const response = await this.send(verb, method, path, body, undefined, accept);
    const text = await response.body.text();
    if (response.statusCode >= 300) throw new KubeApiError(method, path, response.statusCode, text);
    return JSON.parse(text) as T;
  }

  /** The object, or undefined when it does not exist. */
  async get(path: string): Promise<KubeObject | undefined> {
    try {
      return await this.json<KubeObject>('get', 'GET', path);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /**
   * Whether the apiserver serves a kind, by discovery of its group and version (e.g. a third
   * party's CRD that may not be installed).
   */
  async serves(apiVersion: string, plural: string): Promise<boolean> {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    try {
      const discovered = await this.json<{ resources?: Array<{ name: string }> }>('get', 'GET', path);
      return (discovered.resources ?? []).some((resource) => resource.name === plural);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return false;
      throw err;
    }
  }

  /** metadataOnly: PartialObjectMetadata, e.g. whether Secrets exist without reading what they hold. */
  async list(path: string, labelSelector?: string, metadataOnly = false): Promise<ListResult> {
    const query = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
    const accept = metadataOnly ? METADATA_LIST : undefined;
    const list = await this.json<{ items: KubeObject[] | null; metadata: { resourceVersion: string }; apiVersion: string; kind: string }>('list', 'GET', `${path}${query}`, undefined, accept);
    // Items of a list carry no apiVersion/kind; the list's kind says them.
    const apiVersion = list.apiVersion;
    const kind = list.kind.replace(/List$/, '');
    // An empty PartialObjectMetadataList comes with items: null.
    return { items: (list.items ?? []).map((item) => ({ ...item, apiVersion, kind })), resourceVersion: list.metadata.resourceVersion };
  }

  /**
   * Streams the events of a collection from resourceVersion on, with bookmarks, until the
   * apiserver ends the watch, the connection breaks or signal aborts. A 410 Gone (the
   * resourceVersion is too old) arrives as an ERROR event whose object is a Status with code 410.
   */
  async watch(
    path: string,
    resourceVersion: string,
    labelSelector: string | undefined,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
    metadataOnly = false,
  ): Promise<void> {
    const query = new URLSearchParams({ watch: '1', resourceVersion, allowWatchBookmarks: 'true' });
    if (labelSelector) query.set('labelSelector', labelSelector);
    const response = await this.send('watch', 'GET', `${path}?${query}`, undefined, signal, metadataOnly ? METADATA_OBJECT : undefined);
    if (response.statusCode >= 300) throw new KubeApiError('WATCH', path, response.statusCode, await response.body.text());
    // One decoder for the stream: a character split between two chunks stays whole.
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of response.body) {
      buffered += decoder.decode(chunk as Buffer, { stream: true });
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.trim()) onEvent(JSON.parse(line) as WatchEvent);
      }
    }
  }

  /** Server-side apply: the object becomes what it says in the fields this field manager owns. */
  async apply(object: KubeObject, subresource?: 'status'): Promise<KubeObject> {
    return this.applyAt(`${objectPath(object)}${subresource ? `/${subresource}` : ''}`, object);
  }

  /** Server-side apply at a path given whole (a kind whose plural is not in the table above). */
  async applyAt(path: string, object: KubeObject): Promise<KubeObject> {
    const query = `?fieldManager=${encodeURIComponent(this.fieldManager)}&force=true`;
    // JSON is YAML: the apply content type takes it as it is.
    return this.json<KubeObject>('apply', 'PATCH', `${path}${query}`, { text: JSON.stringify(object), contentType: 'application/apply-patch+yaml' });
  }

  async create(path: string, object: KubeObject): Promise<KubeObject> {
    return this.json<KubeObject>('create', 'POST', path, { text: JSON.stringify(object), contentType: 'application/json' });
  }

  /** A PUT that fails with 409 when the object changed since resourceVersion: optimistic concurrency. */
  async update(object: KubeObject): Promise<KubeObject> {
    return this.json<KubeObject>('update', 'PUT', objectPath(object), { text: JSON.stringify(object), contentType: 'application/json' });
  }

  /** A JSON patch (RFC 6902), e.g. to remove one finalizer only if the list is still as read. */
  async jsonPatch(path: string, operations: object[]): Promise<KubeObject> {
    return this.json<KubeObject>('patch', 'PATCH', path, { text: JSON.stringify(operations), contentType: 'application/json-patch+json' });
  }

  /** Deletes; an object that is already gone counts as deleted. */
  async delete(path: string): Promise<void> {
    try {
      await this.json<unknown>('delete', 'DELETE', path);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return;
      throw err;
    }
  }

  /**
   * Closes the connections once the requests under way have their answers; those still open after
   * graceMs (a watch nobody aborted) are cut, so that a stopping process never waits on them:
   * false when some had to be cut.
   */
  async close(graceMs = 5_000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const closed = this.dispatcher.close().then(() => true);
    const waited = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)));
    const inTime = await Promise.race([closed, waited]);
    clearTimeout(timer);
    if (!inTime) await this.dispatcher.destroy();
    return inTime;
  }
}
