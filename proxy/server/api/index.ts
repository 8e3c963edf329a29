/**
 * The JSON API behind the web page, also for scripts (docs/api.md): every answer is JSON, every
 * error `{ "error": "<what was wrong and what to do>" }`. Registered in a plugin of its own so
 * that its errors are JSON while the protocol's stay one line of text for the go command.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ModuleCatalog } from '../../catalog/index.ts';
import { isProxyError } from '../../errors.ts';
import type { ServerOptions } from '../serverOptions.ts';
import { ApiAccess } from './apiAccess.ts';
import { ApiError, sendJsonError } from './apiReply.ts';
import { registerModuleRoutes } from './moduleRoutes.ts';
import { registerUsageRoutes } from './usageRoutes.ts';
import { registerCleanupRoute } from './cleanupRoute.ts';
import { registerHealthRoute } from './healthRoute.ts';
import { registerSettingsRoute } from './settingsRoute.ts';
import { registerWhoamiRoute } from './whoamiRoute.ts';
import { RequestStats, UsageHistory } from '../../usage/index.ts';

export { isApiPath } from './apiReply.ts';

const ROUTES = '/api/whoami, /api/modules, /api/module, /api/version, /api/usage, /api/health, /api/settings, POST /api/cleanup/dry-run';

export function registerApiRoutes(app: FastifyInstance, options: ServerOptions & { catalog: ModuleCatalog }): void {
  const access = new ApiAccess(options.access);
  void app.register(async (api) => {
    api.setErrorHandler(async (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
      if (error instanceof ApiError) {
        request.proxyLog.error = error.message;
        return sendJsonError(reply, error.status, error.message);
      }
      if (isProxyError(error)) {
        request.proxyLog.error = error.message;
        request.proxyLog.code = error.code;
        return sendJsonError(reply, error.status, error.message);
      }
      const status = (error as { statusCode?: number }).statusCode;
      if (status && status >= 400 && status < 500) return sendJsonError(reply, status, (error as Error).message);
      request.log.error({ err: error, path: request.url }, 'internal error');
      request.proxyLog.error = (error as Error).message;
      return sendJsonError(reply, 500, "internal error; the proxy's log has the details");
    });
    registerWhoamiRoute(api, access);
    registerModuleRoutes(api, { ...options, access });
    registerUsageRoutes(api, {
      access,
      usageHistory: options.usageHistory ?? new UsageHistory(options.storage),
      requests: options.requests ?? new RequestStats(),
      sourceChains: options.sourceChains ?? [],
    });
    const { config } = options;
    if (config) {
      registerHealthRoute(api, { ...options, access, config, sourceChains: options.sourceChains ?? [] });
      registerCleanupRoute(api, { access, config, storage: options.storage });
      registerSettingsRoute(api, { access, config, checksumDatabase: options.checksumDatabase });
    }
    api.all('/api/*', async (request, reply) => sendJsonError(reply, 404, `no API at ${request.method} ${request.url.split('?')[0]}; the API has ${ROUTES} (see docs/api.md)`));
  });
}
