/** `/api/whoami`: who the caller is, whether they are an admin, and whether the API needs a sign-in (the page shows or hides views by it). */
import type { FastifyInstance } from 'fastify';
import { ANONYMOUS } from '../../access/index.ts';
import type { ApiAccess } from './apiAccess.ts';
import { sendJson } from './apiReply.ts';
import { readQuery } from './queryParameters.ts';

export function registerWhoamiRoute(api: FastifyInstance, access: ApiAccess): void {
  api.get('/api/whoami', async (request, reply) => {
    readQuery(request, []);
    const caller = access.callerOf(request.identity ?? ANONYMOUS);
    return sendJson(reply, 200, { identity: caller.identity.name, admin: caller.admin, authRequired: access.authRequired });
  });
}
