export { RequestStats, type DeniedRequest } from './requestStats.ts';
export { dayKey, hourKey, HOURS_KEPT_DAYS, type Triple, type UsageCounts } from './usageCounts.ts';
export { UsageHistory } from './usageHistory.ts';
