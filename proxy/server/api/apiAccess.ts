/**
 * Who may see what through the API: the protocol's identities and access rules.
 *
 * - With `auth`, a caller who did not sign in gets 401 (with the Basic challenge), unless
 *   `access.default` lets anonymous callers read modules; `/api/whoami` always answers.
 * - A module the caller may not read is left out of every list and count and is 404 on its own
 *   URL: never 403, which would confirm that it exists.
 * - Admin views need `auth.admin` (nobody by default); without `auth` everyone is an admin.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ANONYMOUS, allows, type AccessControl, type Identity } from '../../access/index.ts';
import { SIGN_IN_HINT } from '../accessCheck.ts';
import { ApiError } from './apiReply.ts';

export type ApiCaller = {
  identity: Identity;
  admin: boolean;
  mayRead(modulePath: string): boolean;
};

export class ApiAccess {
  private readonly access: AccessControl | undefined;
  /** The allow list deciding each module asked about (the rules do not change while the proxy runs). */
  private readonly allowLists = new Map<string, readonly string[]>();
  readonly authRequired: boolean;

  constructor(access: AccessControl | undefined) {
    this.access = access;
    this.authRequired = Boolean(access?.identities) && !allows(access!.rules.defaultAllow, ANONYMOUS);
  }

  /** The caller of a request; throws 401 for an anonymous caller where sign-in is required. */
  caller(request: FastifyRequest, reply: FastifyReply): ApiCaller {
    const identity = request.identity ?? ANONYMOUS;
    if (this.authRequired && identity.name === null) {
      reply.header('www-authenticate', `Basic realm="${this.access!.realm}", charset="UTF-8"`);
      throw new ApiError(401, `authentication required to use the API: ${SIGN_IN_HINT}; scripts send the same credentials (e.g. curl --netrc)`);
    }
    return this.callerOf(identity);
  }

  /** The caller, without requiring a sign-in (for /api/whoami). */
  callerOf(identity: Identity): ApiCaller {
    return {
      identity,
      admin: this.isAdmin(identity),
      mayRead: (modulePath) => this.mayRead(identity, modulePath),
    };
  }

  private isAdmin(identity: Identity): boolean {
    return !this.access || allows(this.access.adminAllow, identity);
  }

  private mayRead(identity: Identity, modulePath: string): boolean {
    if (!this.access) return true;
    let allowList = this.allowLists.get(modulePath);
    if (!allowList) {
      allowList = this.access.rules.allowListFor(modulePath);
      this.allowLists.set(modulePath, allowList);
    }
    return allows(allowList, identity);
  }
}

/** Throws 403 unless the caller is an admin; the message names the setting. */
export function requireAdmin(caller: ApiCaller, view: string): void {
  if (caller.admin) return;
  const who = caller.identity.name ?? 'an anonymous caller';
  throw new ApiError(403, `${view} is an admin view and ${who} is not an admin; add the user or one of their groups to the auth.admin setting`);
}
