/**
 * The five requests of the GOPROXY protocol ("Module proxy protocol" in the Go reference), with
 * the module path and version unescaped:
 *
 *   <module>/@v/list
 *   <module>/@v/<version>.info | .mod | .zip
 *   <module>/@latest
 *
 * On the wire both the module path and the version are !-escaped (upper case A is sent as !a).
 */
import { escapePath, escapeVersion } from './modulePath.ts';

export type ModuleFileKind = 'list' | 'latest' | 'info' | 'mod' | 'zip';

export type ModuleRequest =
  | { kind: 'list' | 'latest'; module: string }
  | { kind: 'info' | 'mod' | 'zip'; module: string; version: string };

/**
 * The protocol path of a request, "<module>/@v/<version>.zip": !-escaped for the wire (the
 * default), or as a person reads it (escaped: false) for messages.
 */
export function moduleRequestPath(request: ModuleRequest, { escaped = true }: { escaped?: boolean } = {}): string {
  const module = escaped ? escapePath(request.module) : request.module;
  switch (request.kind) {
    case 'list':
      return `${module}/@v/list`;
    case 'latest':
      return `${module}/@latest`;
    default:
      return `${module}/@v/${escaped ? escapeVersion(request.version) : request.version}.${request.kind}`;
  }
}
