/**
 * `POST /api/cleanup/dry-run` (admin): what the next cleanup would remove under the retention
 * settings in effect, planned by the cleanup command itself (proxy/commands/cleanup.ts) with
 * `dryRun`, so nothing is removed. It reads every key of the store, so one runs at a time; a
 * second request while one runs waits for the same answer.
 */
import type { FastifyInstance } from 'fastify';
import { cleanup, type CleanupSummary } from '../../commands/cleanup.ts';
import { formatDuration, type Config } from '../../config.ts';
import { SingleFlight } from '../../singleFlight.ts';
import type { Storage } from '../../storage/index.ts';
import { requireAdmin, type ApiAccess } from './apiAccess.ts';
import { sendJson } from './apiReply.ts';
import { readQuery } from './queryParameters.ts';

export type CleanupRouteOptions = { access: ApiAccess; config: Pick<Config, 'retention'>; storage: Storage };

export function registerCleanupRoute(api: FastifyInstance, options: CleanupRouteOptions): void {
  const runs = new SingleFlight<CleanupSummary>();
  api.post('/api/cleanup/dry-run', async (request, reply) => {
    readQuery(request, []);
    requireAdmin(options.access.caller(request, reply), '/api/cleanup/dry-run');
    const { retention } = options.config;
    const { value: summary } = await runs.do('dry-run', () =>
      cleanup(options.storage, { keepSinceMs: retention.keepSince, keepLatest: retention.keepLatest, pins: retention.pins, modules: [], dryRun: true }),
    );
    const rule = `not downloaded within retention.keepSince (${formatDuration(retention.keepSince)}), not among the ${retention.keepLatest} newest releases of its module (retention.keepLatest), not pinned`;
    return sendJson(reply, 200, {
      versions: summary.removed.map((v) => ({
        path: v.module,
        version: v.version,
        bytes: v.bytes,
        lastDownload: v.lastDownload,
        reason: `${v.lastDownload === null ? `never downloaded (stored ${v.stored})` : `last downloaded ${v.lastDownload}`}: ${rule}`,
      })),
      freedBytes: summary.freedBytes,
      held: summary.versions,
      kept: summary.kept,
    });
  });
}
