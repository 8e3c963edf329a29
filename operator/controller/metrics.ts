/**
 * The operator's metrics, served at /metrics by prom-client from a registry of its own:
 * reconciles and their errors, reconcile durations, queue depth, API requests by verb, watches
 * started and expired, and leadership. The last four are counted where they happen (the API
 * client, the queue, the informers, the elector) and read at each scrape.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Informer } from './informer.ts';
import type { KubeApi } from './kubeApi.ts';

/** What the scrape reads from the running parts. */
export type MetricSources = { api: KubeApi; queueDepth: () => number; leader: () => boolean; informers: () => Informer[] };

export class OperatorMetrics {
  readonly registry = new Registry();
  private readonly reconciles = new Counter({ name: 'gomodproxy_operator_reconciles_total', help: 'Reconciles of GoModuleProxy resources.', registers: [this.registry] });
  private readonly reconcileErrors = new Counter({
    name: 'gomodproxy_operator_reconcile_errors_total',
    help: 'Reconciles that failed and were queued again with back-off.',
    registers: [this.registry],
  });
  private readonly reconcileDuration = new Histogram({
    name: 'gomodproxy_operator_reconcile_duration_seconds',
    help: 'How long reconciles took.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  observeReconcile(seconds: number, failed: boolean): void {
    this.reconciles.inc();
    if (failed) this.reconcileErrors.inc();
    this.reconcileDuration.observe(seconds);
  }

  /** Registers the metrics whose values the running parts keep. */
  collectFrom(sources: MetricSources): void {
    const registers = [this.registry];
    const sum = (count: (informer: Informer) => number) => sources.informers().reduce((total, informer) => total + count(informer), 0);
    new Gauge({ name: 'gomodproxy_operator_queue_depth', help: 'Keys waiting in the work queue.', registers, collect() { this.set(sources.queueDepth()); } });
    new Counter({
      name: 'gomodproxy_operator_api_requests_total',
      help: 'Requests to the Kubernetes API, by verb.',
      labelNames: ['verb'],
      registers,
      collect() {
        this.reset();
        for (const [verb, count] of Object.entries(sources.api.requests)) this.inc({ verb }, count);
      },
    });
    new Counter({
      name: 'gomodproxy_operator_watch_expired_total',
      help: 'Watches answered 410 Gone, after which the informer listed again.',
      registers,
      collect() {
        this.reset();
        this.inc(sum((informer) => informer.counts.expired));
      },
    });
    new Counter({
      name: 'gomodproxy_operator_watches_total',
      help: 'Watches started (a restarted watch counts again).',
      registers,
      collect() {
        this.reset();
        this.inc(sum((informer) => informer.counts.watches));
      },
    });
    new Gauge({ name: 'gomodproxy_operator_leader', help: '1 while this process holds the lease.', registers, collect() { this.set(sources.leader() ? 1 : 0); } });
  }
}
