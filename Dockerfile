# syntax=docker/dockerfile:1
# One image for every program of the project:
#   gomodproxy serve | operator | cleanup | prefetch | export | import
# The program runs as JavaScript compiled from the TypeScript sources by tsc (tsconfig.image.json):
# type stripping at run time, as a checkout does it, would cost every proxy ~30 MiB of memory.
#
# The contract (test/image/ runs this image with podman, and runs in it the pods the operator
# renders):
# - the entrypoint is the gomodproxy command under tini; arguments are its subcommand and flags
#   (`docker run IMAGE prefetch go.mod`); `serve` by default. `gomodproxy` is on PATH for `exec`.
# - every command reads its settings from /etc/gomodproxy/config.yaml (GOMODPROXY_CONFIG names it;
#   the image's own file is image/config.yaml: serve on 0.0.0.0:3000, keep modules in /data).
#   Mount your own file or folder over /etc/gomodproxy to replace it (the operator mounts its
#   ConfigMap there). The image sets no GOMODPROXY_* setting variable, so a mounted file is what
#   the proxy runs with; such a variable given at run time overrides that one setting of the file.
# - it runs as uid:gid 1000:1000 (any non-root uid works) and writes only to the store (/data, or
#   wherever the settings put it) and /tmp, so the root file system can be read-only.

ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only. The optional `node` package (Node 24 for machines that lack it)
# is left out: the image's own Node runs the program.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund

FROM ${NODE_IMAGE} AS compile
WORKDIR /src
COPY package.json package-lock.json ./
# Install scripts are skipped: tsc needs none, and esbuild's (the web page's bundler, used only by
# `npm run web`) would look for its binary, which --omit=optional leaves out.
RUN npm ci --omit=optional --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.image.json ./
COPY cli ./cli
COPY proxy ./proxy
COPY operator ./operator
RUN npx tsc -p tsconfig.image.json

FROM ${NODE_IMAGE}
# git and CA certificates for private modules fetched straight from git servers (https and ssh);
# tini as PID 1, so signals reach the proxy and git's child processes are reaped.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates git openssh-client tini \
    && rm -rf /var/lib/apt/lists/*

# Not settings: where the settings file is; git's home and Node's compile cache go to /tmp, which
# stays writable. The node flags and allocator variables of each command are not set here:
# bin/gomodproxy.js gives each command its own (cli/processSettings.ts; serve, for one, runs
# without the compile cache).
ENV NODE_ENV=production \
    GOMODPROXY_CONFIG=/etc/gomodproxy/config.yaml \
    NODE_COMPILE_CACHE=/tmp/node-compile-cache \
    HOME=/tmp

WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY --from=compile /src/dist ./
# The web page, built and checked in (proxy/web/built/): the server reads it beside its own folder.
COPY proxy/web/built ./proxy/web/built
COPY image/config.yaml /etc/gomodproxy/config.yaml

RUN ln -s /app/bin/gomodproxy.js /usr/local/bin/gomodproxy \
    && mkdir -p /data && chown 1000:1000 /data
# The base image's unprivileged user "node".
USER 1000:1000
VOLUME ["/data", "/tmp"]
EXPOSE 3000

# SIGTERM (from tini) makes the proxy stop accepting, finish the downloads in flight, and exit.
ENTRYPOINT ["/usr/bin/tini", "--", "gomodproxy"]
CMD ["serve"]
