/**
 * The access settings put together: who a request is (Identities) and what they may read
 * (AccessRules), with the defaults a security review expects:
 *
 * - without `auth`, nobody can sign in, so everyone is anonymous and `default` is
 *   `[anonymous]`: the proxy answers everyone, as a proxy without access control does;
 * - with `auth`, `default` is `[authenticated]`: anonymous clients read only what a rule (or
 *   an explicit `default`) gives to `anonymous`.
 *
 * /metrics is read by `auth.metrics` when given, else as `default` says. The admin views of the
 * API need `auth.admin` (nobody by default); without `auth` everyone is an admin, as everyone
 * reads everything.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { Identities } from './identities.ts';
import { AccessRules } from './rules.ts';

export type AccessControl = {
  identities: Identities | null;
  rules: AccessRules;
  metricsAllow: readonly string[];
  adminAllow: readonly string[];
  realm: string;
  close(): void;
};

/** Builds access control from the settings; throws (naming the setting) when a file or secret cannot be used. */
export function createAccessControl(config: Pick<Config, 'auth' | 'access'>, logger: Logger): AccessControl {
  const auth = config.auth;
  const defaultAllow = config.access?.default ?? (auth ? ['authenticated'] : ['anonymous']);
  const rules = new AccessRules(config.access?.rules ?? [], defaultAllow);
  const identities = auth
    ? new Identities({ htpasswd: auth.htpasswd, tokens: auth.tokens, groups: auth.groups, maxFailedLogins: auth.maxFailedLogins }, logger)
    : null;
  if (!auth && config.access?.rules.some((rule) => rule.allow.some((entry) => entry !== 'anonymous'))) {
    logger.warn('access rules name users or groups, but no auth is configured: nobody can sign in, so those rules let nobody in');
  }
  return {
    identities,
    rules,
    metricsAllow: auth?.metrics ?? defaultAllow,
    adminAllow: auth ? auth.admin : ['anonymous'],
    realm: auth?.realm ?? 'gomodproxy',
    close: () => identities?.close(),
  };
}
