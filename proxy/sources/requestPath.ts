import { escapePath, escapeVersion } from '../protocol/index.ts';
import type { SourceRequest } from './source.ts';

/** The GOPROXY protocol path of a request, !-escaped: "<path>/@v/<version>.zip". */
export function protocolPath(request: SourceRequest): string {
  const module = escapePath(request.module);
  switch (request.kind) {
    case 'list':
      return `${module}/@v/list`;
    case 'latest':
      return `${module}/@latest`;
    default:
      return `${module}/@v/${escapeVersion(request.version)}.${request.kind}`;
  }
}
