# syntax=docker/dockerfile:1
# One image for every program of the project:
#   gomodproxy serve | operator | cleanup | prefetch | export | import
# The TypeScript sources run as they are, by Node 24's type stripping: there is no build step.
# test/image/image.test.ts runs the command line below, the way this file sets it up.

ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only. The optional `node` package (Node 24 for machines that lack it)
# is left out: the image's own Node runs the program.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund

FROM ${NODE_IMAGE}
# git and CA certificates for private modules fetched straight from git servers (https and ssh);
# tini as PID 1, so signals reach the proxy and git's child processes are reaped.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates git openssh-client tini \
    && rm -rf /var/lib/apt/lists/*

# Everything the program writes goes to /data (the module store) or /tmp (git mirrors, staging,
# the compile cache), so the root filesystem can be mounted read-only.
ENV NODE_ENV=production \
    GOMODPROXY_LISTEN=0.0.0.0:3000 \
    GOMODPROXY_STORAGE_PATH=/data \
    GOMODPROXY_GIT_CACHE_DIR=/tmp/gomodproxy-git \
    NODE_COMPILE_CACHE=/tmp/node-compile-cache \
    HOME=/tmp

WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY cli ./cli
COPY proxy ./proxy
COPY operator ./operator

RUN mkdir -p /data && chown 1000:1000 /data
# The base image's unprivileged user "node".
USER 1000:1000
VOLUME ["/data", "/tmp"]
EXPOSE 3000

# SIGTERM (from tini) makes the proxy stop accepting, finish the downloads in flight, and exit.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--max-semi-space-size=1", "/app/bin/gomodproxy.js"]
CMD ["serve"]
