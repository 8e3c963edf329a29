/**
 * Ours because @kubernetes/client-node (2.0.1) has no leader election, only the Lease type.
 *
 * Leader election with a coordination.k8s.io/v1 Lease, by client-go's rules: the holder renews
 * the lease every retry period; another candidate takes it over only when it has seen the same
 * holder and renewTime for a whole lease duration on its own clock (so clocks of different
 * machines need not agree), and every write names the resourceVersion it read, so two candidates
 * cannot both win. A leader that cannot renew within the renew deadline stops leading. On a
 * graceful stop the leader releases the lease, and a waiting candidate takes over at once.
 *
 * acquireTime and renewTime are MicroTime: RFC 3339 with exactly six fractional digits. The
 * apiserver refuses the three digits of Date.toISOString().
 */
import type { Logger } from 'pino';
import type { KubeObject } from '../render/index.ts';
import { KubeApiError, resourcePath, type KubeApi } from './kubeApi.ts';

export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

type LeaseSpec = {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
};

export type LeaderElectionOptions = {
  api: KubeApi;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  logger: Logger;
};

export class LeaderElector {
  private readonly options: LeaderElectionOptions;
  private observedRecord = '';
  private observedAt = 0;
  private leading = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  /** The acquire or renew under way: stop() waits for it, so that none lands after the release. */
  private attempt: Promise<boolean> = Promise.resolve(false);

  constructor(options: LeaderElectionOptions) {
    this.options = options;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  private get path(): string {
    return resourcePath('coordination.k8s.io/v1', 'leases', this.options.namespace, this.options.name);
  }

  /**
   * Waits until this candidate leads (resolving true) or stop() is called (false); then keeps
   * renewing in the background and calls onLost if renewing fails for the renew deadline.
   */
  async acquire(onLost: (reason: string) => void): Promise<boolean> {
    const { logger, identity } = this.options;
    while (!this.stopped) {
      if (await this.tryOnce()) {
        // Won just as stop() was called: stop() releases the lease it now finds ours.
        if (this.stopped) return false;
        this.leading = true;
        logger.info({ identity, lease: `${this.options.namespace}/${this.options.name}` }, 'leading');
        void this.renewLoop(onLost);
        return true;
      }
      await this.sleep(this.options.retryPeriodMs);
    }
    return false;
  }

  private async renewLoop(onLost: (reason: string) => void): Promise<void> {
    let lastRenewed = Date.now();
    while (!this.stopped && this.leading) {
      await this.sleep(this.options.retryPeriodMs);
      if (this.stopped) return;
      if (await this.tryOnce()) {
        lastRenewed = Date.now();
      } else if (Date.now() - lastRenewed > this.options.renewDeadlineMs) {
        this.leading = false;
        onLost(`the lease could not be renewed for ${this.options.renewDeadlineMs} ms`);
        return;
      }
    }
  }

  private tryOnce(): Promise<boolean> {
    this.attempt = this.tryAcquireOrRenew().catch((err: unknown) => this.logFailure(err));
    return this.attempt;
  }

  private logFailure(err: unknown): false {
    this.options.logger.warn({ err: (err as Error).message }, 'lease: could not acquire or renew');
    return false;
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { api, identity, leaseDurationMs } = this.options;
    const now = new Date();
    const durationSeconds = Math.ceil(leaseDurationMs / 1000);
    const lease = await api.get(this.path);
    if (!lease) {
      const spec: LeaseSpec = { holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 };
      await api.create(resourcePath('coordination.k8s.io/v1', 'leases', this.options.namespace), {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.options.name, namespace: this.options.namespace },
        spec,
      }).catch((err: unknown) => {
        if (err instanceof KubeApiError && err.status === 409) return undefined;
        throw err;
      });
      return this.confirmHolder();
    }
    const spec = (lease['spec'] ?? {}) as LeaseSpec;
    const record = `${spec.holderIdentity ?? ''}|${spec.renewTime ?? ''}`;
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = Date.now();
    }
    const heldByOther = !!spec.holderIdentity && spec.holderIdentity !== identity;
    const otherStillValid = this.observedAt + (spec.leaseDurationSeconds ?? durationSeconds) * 1000 > Date.now();
    if (heldByOther && otherStillValid) return false;

    const takingOver = spec.holderIdentity !== identity;
    const next: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      acquireTime: takingOver ? microTime(now) : (spec.acquireTime ?? microTime(now)),
      renewTime: microTime(now),
      // As client-go counts: every change of holder, also after a release, is a transition.
      leaseTransitions: (spec.leaseTransitions ?? 0) + (takingOver ? 1 : 0),
    };
    try {
      const updated = await api.update({ ...lease, spec: next } as KubeObject);
      const updatedSpec = updated['spec'] as LeaseSpec;
      this.observedRecord = `${updatedSpec.holderIdentity ?? ''}|${updatedSpec.renewTime ?? ''}`;
      this.observedAt = Date.now();
      return true;
    } catch (err) {
      // Someone else wrote the lease since we read it: they won this round.
      if (err instanceof KubeApiError && err.status === 409) return false;
      throw err;
    }
  }

  private async confirmHolder(): Promise<boolean> {
    const lease = await this.options.api.get(this.path);
    const spec = (lease?.['spec'] ?? {}) as LeaseSpec;
    this.observedRecord = `${spec.holderIdentity ?? ''}|${spec.renewTime ?? ''}`;
    this.observedAt = Date.now();
    return spec.holderIdentity === this.options.identity;
  }

  /**
   * Stops campaigning; a holder gives the lease up so that another candidate need not wait for it
   * to expire. The acquire or renew under way finishes first (one landing after the release would
   * take the lease back), and the lease is released if the apiserver then says it is ours, also
   * when it was won in the last moment. Never throws: an apiserver that cannot be reached leaves
   * the lease to expire, which is said in the log.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.attempt;
    this.leading = false;
    const { api, identity, logger } = this.options;
    try {
      const lease = await api.get(this.path);
      const spec = (lease?.['spec'] ?? {}) as LeaseSpec;
      if (!lease || spec.holderIdentity !== identity) return;
      const now = microTime(new Date());
      await api.update({ ...lease, spec: { ...spec, holderIdentity: null, leaseDurationSeconds: 1, acquireTime: now, renewTime: now } } as KubeObject);
      logger.info({ identity }, 'lease released');
    } catch (err) {
      logger.warn({ identity, err: (err as Error).message }, 'lease not released: it expires after its duration');
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
