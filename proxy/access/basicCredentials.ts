/**
 * The Authorization header the go command sends (from .netrc, GOAUTH or the GOPROXY URL):
 * `Basic base64(user ":" password)` (RFC 7617). The user name may not contain ":"; the password
 * may. Anything else is "malformed": the caller answers 401, never treats it as anonymous.
 */

export type BasicCredentials = { user: string; password: string };

/** Longer headers are refused unread (a bcrypt password is at most 72 bytes anyway). */
export const MAX_AUTHORIZATION_LENGTH = 4096;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Parses an Authorization header: undefined when there is none, "malformed" when it is not
 * Basic credentials. Never throws.
 */
export function parseBasicAuthorization(header: string | string[] | undefined): BasicCredentials | 'malformed' | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || header.length > MAX_AUTHORIZATION_LENGTH) return 'malformed';
  const match = /^basic +(\S+) *$/i.exec(header);
  if (!match || !BASE64.test(match[1]!) || match[1]!.length % 4 !== 0) return 'malformed';
  const decoded = Buffer.from(match[1]!, 'base64');
  const text = decoded.toString('utf8');
  // Bytes that are not UTF-8 would be replaced silently and could then match another password.
  if (!Buffer.from(text, 'utf8').equals(decoded) || /[\0-\x1f\x7f]/.test(text)) return 'malformed';
  const colon = text.indexOf(':');
  if (colon <= 0) return 'malformed';
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}
