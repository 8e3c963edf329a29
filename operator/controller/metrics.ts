/**
 * The operator's metrics in the Prometheus text format: reconciles and their errors, reconcile
 * durations, queue depth, API requests by verb, watches restarted and expired, and leadership.
 */
import type { KubeApi } from './kubeApi.ts';
import type { Informer } from './informer.ts';

/** Upper bounds of the reconcile duration histogram, in seconds. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class OperatorMetrics {
  reconciles = 0;
  reconcileErrors = 0;
  private readonly durationCounts = DURATION_BUCKETS.map(() => 0);
  private durationSum = 0;
  private durationCount = 0;

  observeReconcile(seconds: number, failed: boolean): void {
    this.reconciles++;
    if (failed) this.reconcileErrors++;
    this.durationSum += seconds;
    this.durationCount++;
    DURATION_BUCKETS.forEach((bound, index) => {
      if (seconds <= bound) this.durationCounts[index]!++;
    });
  }

  render(state: { api: KubeApi; queueDepth: number; leader: boolean; informers: Informer[] }): string {
    const lines = [
      '# HELP gomodproxy_operator_reconciles_total Reconciles of GoModuleProxy resources.',
      '# TYPE gomodproxy_operator_reconciles_total counter',
      `gomodproxy_operator_reconciles_total ${this.reconciles}`,
      '# HELP gomodproxy_operator_reconcile_errors_total Reconciles that failed and were queued again with back-off.',
      '# TYPE gomodproxy_operator_reconcile_errors_total counter',
      `gomodproxy_operator_reconcile_errors_total ${this.reconcileErrors}`,
      '# HELP gomodproxy_operator_reconcile_duration_seconds How long reconciles took.',
      '# TYPE gomodproxy_operator_reconcile_duration_seconds histogram',
      ...DURATION_BUCKETS.map((bound, index) => `gomodproxy_operator_reconcile_duration_seconds_bucket{le="${bound}"} ${this.durationCounts[index]}`),
      `gomodproxy_operator_reconcile_duration_seconds_bucket{le="+Inf"} ${this.durationCount}`,
      `gomodproxy_operator_reconcile_duration_seconds_sum ${this.durationSum}`,
      `gomodproxy_operator_reconcile_duration_seconds_count ${this.durationCount}`,
      '# HELP gomodproxy_operator_queue_depth Keys waiting in the work queue.',
      '# TYPE gomodproxy_operator_queue_depth gauge',
      `gomodproxy_operator_queue_depth ${state.queueDepth}`,
      '# HELP gomodproxy_operator_api_requests_total Requests to the Kubernetes API, by verb.',
      '# TYPE gomodproxy_operator_api_requests_total counter',
      ...Object.entries(state.api.requests).map(([verb, count]) => `gomodproxy_operator_api_requests_total{verb="${verb}"} ${count}`),
      '# HELP gomodproxy_operator_watch_expired_total Watches answered 410 Gone, after which the informer listed again.',
      '# TYPE gomodproxy_operator_watch_expired_total counter',
      `gomodproxy_operator_watch_expired_total ${state.informers.reduce((sum, informer) => sum + informer.counts.expired, 0)}`,
      '# HELP gomodproxy_operator_watches_total Watches started (a restarted watch counts again).',
      '# TYPE gomodproxy_operator_watches_total counter',
      `gomodproxy_operator_watches_total ${state.informers.reduce((sum, informer) => sum + informer.counts.watches, 0)}`,
      '# HELP gomodproxy_operator_leader 1 while this process holds the lease.',
      '# TYPE gomodproxy_operator_leader gauge',
      `gomodproxy_operator_leader ${state.leader ? 1 : 0}`,
    ];
    return `${lines.join('\n')}\n`;
  }
}
