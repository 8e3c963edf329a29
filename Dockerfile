# syntax=docker/dockerfile:1
# One image for every program of the project:
#   gomodproxy serve | operator | cleanup | prefetch | export | import
# The program runs as JavaScript bundled from the TypeScript sources and their dependencies by
# esbuild (scripts/buildProgram.ts), on Node alone: no node_modules in the image. Type stripping at
# run time, as a checkout does it, would cost every proxy ~30 MiB of memory; the bundle holds ~4 MiB
# less than the same sources compiled file by file.
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

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Optional packages are kept: esbuild's binary is one (@esbuild/linux-x64). Install scripts are
# skipped: esbuild needs none, and the optional `node` package's would fetch a second Node.
RUN npm ci --ignore-scripts --no-audit --no-fund
# tsconfig.json: esbuild follows its class-field semantics (target es2024), as Node's type
# stripping does in a checkout.
COPY tsconfig.json ./
COPY bin ./bin
COPY cli ./cli
COPY proxy ./proxy
COPY operator ./operator
COPY scripts/buildProgram.ts scripts/thirdPartyNotices.ts ./scripts/
RUN node scripts/buildProgram.ts /program

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
# bin/gomodproxy.js, dist/ (the bundle), web/built/ (the web page, built and checked in),
# package.json and THIRD-PARTY-NOTICES (the licenses of the libraries bundled).
COPY --from=build /program ./
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
