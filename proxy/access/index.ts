export { createAccessControl, type AccessControl } from './accessControl.ts';
export { parseBasicAuthorization, type BasicCredentials } from './basicCredentials.ts';
export { ANONYMOUS, Identities, type Identity, type SignIn } from './identities.ts';
export { parseHtpasswd } from './htpasswd.ts';
export { AccessRules, allows } from './rules.ts';
