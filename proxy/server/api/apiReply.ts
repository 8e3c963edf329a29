/**
 * How the JSON API answers: `application/json; charset=utf-8`, never cached by shared caches
 * (answers depend on who asks), and errors as `{ "error": "<what was wrong and what to do>" }`.
 * Route code throws ApiError; the API's error handler turns it into the answer.
 */
import type { FastifyReply } from 'fastify';

export class ApiError extends Error {
  readonly status: 400 | 401 | 403 | 404 | 409 | 503;
  constructor(status: ApiError['status'], message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

export const badRequest = (message: string) => new ApiError(400, message);
export const notFound = (message: string) => new ApiError(404, message);

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json; charset=utf-8').header('cache-control', 'private, no-cache').send(JSON.stringify(body));
}

export function sendJsonError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return sendJson(reply, status, { error: message.replace(/[\r\n]+/g, ' ') });
}

/** True for the API's paths (a module path's first element has a dot, `api` has none). */
export function isApiPath(path: string): boolean {
  return path.startsWith('/api/');
}
