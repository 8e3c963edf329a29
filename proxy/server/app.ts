/**
 * The HTTP face of the proxy: the GOPROXY protocol routes, the proxied
 * checksum database (/sumdb/), the vulnerability database mirror (/vulndb/), /healthz, /readyz and /metrics,
 * the web page (/, /ui/…, /assets/…), one JSON log
 * line per request, and errors as one line of text the go command shows its
 * user ("server response: …").
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { clientSafeReason, isProxyError } from '../errors.ts';
import { scrapeMetrics } from '../metrics.ts';
import { sendText } from './sendText.ts';
import { registerAccessCheck } from './accessCheck.ts';
import { clientAddressResolver } from '../access/clientAddress.ts';
import { auditEntryFor } from './auditHook.ts';
import { recordUsage } from './usageHook.ts';
import { registerProtocolRoutes, type RequestLog } from './protocolRoutes.ts';
import type { ServerOptions } from './serverOptions.ts';
import { registerSumdbRoutes } from './sumdbRoutes.ts';
import { registerApiRoutes } from './api/index.ts';
import { registerVulndbRoutes } from './vulndbRoutes.ts';
import { registerVulndbStatusRoute } from './vulndbStatusRoute.ts';
import { registerWebPageRoutes } from './webPageRoutes.ts';

declare module 'fastify' {
  interface FastifyRequest {
    proxyLog: RequestLog;
  }
}

export function buildServer(options: ServerOptions): FastifyInstance {
  const app = Fastify({
    // The go command speaks HTTP/2 over TLS when offered; the routes use the compatibility API,
    // so they serve both. The instance's type is the plain-http one: the routes never touch the
    // HTTP/2 session.
    ...((options.tls ? { http2: true, https: { allowHTTP1: true, ...options.tls } } : {}) as object),
    loggerInstance: options.logger as FastifyBaseLogger,
    // One line per request is written by the onResponse hook below, with the module fields.
    logController: new LogController({ disableRequestLogging: true }),
    // Module paths are long; the protocol parser enforces its own limit.
    routerOptions: { maxParamLength: 8192 },
    return503OnClosing: true,
    // Requests fastify itself cannot route (a malformed URL) get the same one-line text answer.
    frameworkErrors: (error, request, reply) => {
      const message =
        error.code === 'FST_ERR_BAD_URL'
          ? `malformed percent-encoding in request path ${JSON.stringify(request.url.slice(0, 300))}`
          : `malformed request: ${error.message}`;
      void sendText(reply, error.statusCode ?? 400, message);
    },
  }) as unknown as FastifyInstance;

  app.decorateRequest('proxyLog', null as unknown as RequestLog);
  const { audit, requests } = options;
  const clientAddressOf = options.clientAddressOf ?? clientAddressResolver([]);
  // The line is written when the connection is done with the response, not on fastify's
  // onResponse: a client that has all the bytes of a streamed zip may close before the
  // response's 'finish', and such a request is logged all the same.
  app.addHook('onRequest', async (request, reply) => {
    request.proxyLog = {};
    reply.raw.once('close', () => {
      if (request.proxyLog.kind) {
        options.metrics.requests.inc({ kind: request.proxyLog.kind, status: String(reply.statusCode), cache: request.proxyLog.cache ?? 'none' });
      }
      // The one line of a request, also of a failed one: a failure of an upstream is a warning,
      // of the proxy's own storage an error.
      const level = reply.statusCode < 500 ? 'info' : request.proxyLog.code === 'STORAGE_FULL' || request.proxyLog.code === 'STORAGE_FAILED' ? 'error' : 'warn';
      request.log[level](
        {
          method: request.method,
          path: request.url,
          status: reply.statusCode,
          ...request.proxyLog,
          ms: Math.round(reply.elapsedTime * 10) / 10,
        },
        'request',
      );
      const entry = audit || requests ? auditEntryFor(request, reply, clientAddressOf) : null;
      if (entry) audit?.record(entry);
      if (requests) recordUsage(request, reply, entry, options.downloads, requests);
    });
  });

  if (options.access) registerAccessCheck(app, options.access, clientAddressOf);

  app.setErrorHandler(async (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    if (isProxyError(error)) {
      request.proxyLog.error = error.message;
      request.proxyLog.code = error.code;
      const cause = (error.cause as Error | undefined)?.message;
      if (cause && cause !== error.message) request.proxyLog.cause = cause;
      if (error.status === 403) request.proxyLog.deny = error.message;
      // Logged once, by the request's line (see onRequest).
      return sendText(reply, error.status, error.message);
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) return sendText(reply, status, (error as Error).message);
    request.log.error({ err: error, path: request.url }, 'internal error');
    request.proxyLog.error = (error as Error).message;
    // The log has the whole error; the client gets no text that could name a server path.
    const { code } = error as { code?: unknown };
    return sendText(reply, 500, `internal error${typeof code === 'string' ? ` (${code})` : ''}; the proxy's log has the details`);
  });

  app.get('/healthz', async (_request, reply) => sendText(reply, 200, 'ok'));
  // Ready when storage answers and can be written: a proxy on a full disk can fetch nothing new.
  app.get('/readyz', async (request, reply) => {
    try {
      await options.storage.stat('readyz.probe');
      await options.storage.checkWritable?.();
      return sendText(reply, 200, 'ready');
    } catch (err) {
      request.log.error({ err }, 'not ready: storage cannot be used');
      return sendText(reply, 503, `not ready: storage cannot be used (${clientSafeReason(err)})`);
    }
  });

  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await scrapeMetrics(options.metrics);
    return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
  });

  registerSumdbRoutes(app, options);
  registerVulndbStatusRoute(app, options);
  if (options.catalog) registerApiRoutes(app, { ...options, catalog: options.catalog });
  registerVulndbRoutes(app, options);
  registerWebPageRoutes(app);
  registerProtocolRoutes(app, options);
  return app;
}

