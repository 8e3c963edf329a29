// The audit hook's choice of requests and its fields, on a real fastify server: the identity is
// the one an authentication hook put on the request (request.identity.name), and nothing of the
// request's credentials is recorded.
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../proxy/access/audit.ts';
import { clientAddressResolver } from '../../../proxy/access/clientAddress.ts';
import { auditEntryFor } from '../../../proxy/server/auditHook.ts';
import type { RequestLog } from '../../../proxy/server/protocolRoutes.ts';

async function audited(kind: string, status: number, identity?: string): Promise<AuditEntry | null> {
  const app = Fastify();
  let entry: AuditEntry | null = null;
  app.decorateRequest('proxyLog', null as unknown as RequestLog);
  app.addHook('onRequest', async (request) => {
    request.proxyLog = { module: 'github.com/acme/lib', version: 'v1.0.0', kind, cache: 'hit', bytes: 5 };
    if (identity) (request as unknown as { identity: { name: string } }).identity = { name: identity };
  });
  app.addHook('onResponse', async (request, reply) => {
    entry = auditEntryFor(request, reply, clientAddressResolver([]));
  });
  app.get('/*', async (_request, reply) => reply.code(status).send('x'));
  await app.inject({ url: '/github.com/acme/lib/@v/v1.0.0.zip', headers: { authorization: 'Basic YWxpY2U6c2VjcmV0' } });
  await app.close();
  return entry;
}

describe('audit hook', () => {
  it('records a served file with the identity, and no credential', async () => {
    const entry = await audited('zip', 200, 'alice');
    expect(entry).toMatchObject({ identity: 'alice', module: 'github.com/acme/lib', version: 'v1.0.0', file: 'zip', status: 200, cache: 'hit', bytes: 5, deny: null });
    expect(JSON.stringify(entry)).not.toMatch(/YWxpY2U6c2VjcmV0|secret|Basic/);
  });

  it.each([
    ['info', 200, true],
    ['mod', 304, true],
    ['list', 200, false],
    ['latest', 200, false],
    ['list', 403, true],
    ['sumdb-lookup', 401, true],
    ['zip', 404, false],
    ['zip', 502, false],
  ])('%s answered %i: recorded %s', async (kind, status, recorded) => {
    const entry = await audited(kind, status);
    expect(entry !== null).toBe(recorded);
    if (entry) expect(entry.identity).toBeNull();
  });
});
