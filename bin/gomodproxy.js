#!/usr/bin/env node
// The installed command: the proxy is TypeScript run by Node's type stripping (Node >= 24).
await import('../proxy/main.ts');
