// The peer that checks nothing: nginx with proxy_cache in front of the same upstream, as the
// seeds' own recipe runs it (Debian's nginx or nginx-light). One process (master_process off,
// which still caches), its cache, temp folders, pid and error log in a folder of the run's own,
// listening on 127.0.0.1 only. Cached answers are kept a day (a cold run and the warm runs
// after it see no expiry); concurrent misses of one URL wait for one upstream fetch
// (proxy_cache_lock), as the proxy's single flight does.

import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cleanup } from './cleanup.ts';
import { spawnServer, type ChildServer } from './processes.ts';

const candidates = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];

/** The nginx binary and its version, or why there is none (the column is then left out). */
export function locateNginx(): { path: string; version: string } | { missing: string } {
  const path = candidates.find((file) => existsSync(file));
  if (!path) return { missing: `nginx not found (looked in ${candidates.join(', ')}); install it with \`apt-get install -y nginx-light\`` };
  // nginx -v prints "nginx version: nginx/1.22.1" to stderr.
  const version = spawnSync(path, ['-v'], { encoding: 'utf8' }).stderr.replace(/^nginx version: /, '').trim();
  return { path, version };
}

/** Spawns nginx caching upstream (http://127.0.0.1:…) with an empty cache in a fresh folder. */
export async function spawnNginxCache(cleanup: Cleanup, nginx: string, upstream: string): Promise<ChildServer> {
  const folder = await cleanup.tempFolder('gomodproxy-bench-nginx-');
  for (const sub of ['cache', 'temp']) await mkdir(join(folder, sub));
  return spawnServer(cleanup, {
    what: 'nginx proxy_cache',
    command: nginx,
    args: (port) => {
      const conf = join(folder, `nginx-${port}.conf`);
      writeFileSync(conf, nginxConfig(folder, port, upstream));
      return ['-p', folder, '-c', conf];
    },
    readyPath: '/nginx-ready',
    pollMs: 5,
    env: () => ({}),
  });
}

function nginxConfig(folder: string, port: number, upstream: string): string {
  return `daemon off;
master_process off;
worker_processes 1;
pid ${join(folder, 'nginx.pid')};
error_log ${join(folder, 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${join(folder, 'temp', 'body')};
  proxy_temp_path ${join(folder, 'temp', 'proxy')};
  fastcgi_temp_path ${join(folder, 'temp', 'fastcgi')};
  uwsgi_temp_path ${join(folder, 'temp', 'uwsgi')};
  scgi_temp_path ${join(folder, 'temp', 'scgi')};
  proxy_cache_path ${join(folder, 'cache')} levels=1:2 keys_zone=modules:16m max_size=20g inactive=1d use_temp_path=off;
  upstream origin { server ${new URL(upstream).host}; keepalive 16; }
  server {
    listen 127.0.0.1:${port};
    location = /nginx-ready { return 200 "ok\\n"; }
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache modules;
      proxy_cache_valid 200 1d;
      proxy_cache_lock on;
      proxy_cache_lock_timeout 5m;
    }
  }
}
`;
}
