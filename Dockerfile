# syntax=docker/dockerfile:1
#
# koredump: ONE image for the three roles.
#   node-collector (DaemonSet): /usr/libexec/koredump/node /opt/koredump/dist/apps/node-collector/src/main.js
#   aggregator (Deployment):    node /opt/koredump/dist/apps/aggregator/src/main.js
#   koredumpctl:                /usr/local/bin/koredumpctl (single executable; the chart's init
#                               container copies it onto every node)
#
# How a NON-ROOT collector reads root:root 0640 cores and 0640 journal files: Kubernetes puts
# securityContext.capabilities.add into the bounding set only; a non-root process loses its
# permitted and effective capabilities at execve (no ambient capabilities are set), so only FILE
# capabilities give it one. Hence two copies here with cap_dac_read_search=ep: node, and journalctl
# (the collector's child: capabilities are not inherited across execve either). They are copies
# because a binary whose file capability is missing from the bounding set fails to execute
# (EPERM): the aggregator, without DAC_READ_SEARCH, keeps using the plain /usr/local/bin/node.
# DAC_READ_SEARCH (read and search) is enough; DAC_OVERRIDE (also write) is not needed. Tested in
# test/e2e/dockerfile-capabilities.e2e-spec.ts.

ARG NODE_VERSION=20.20.2

# ---------------------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /src
# Dependencies first (cached while only sources change). The full bookworm image has the C/C++
# toolchain and python3 that the native addons (zstd-napi, lz4, lzma-native, fs-xattr) build with.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm run build:cli
# Runtime dependencies only, native addons as compiled above (same glibc as the runtime stage).
RUN npm prune --omit=dev --no-audit --no-fund

# ---------------------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime

ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG NODE_VERSION
LABEL org.opencontainers.image.title="koredump" \
      org.opencontainers.image.description="Coredump REST API for Kubernetes: node-collector, aggregator and the koredumpctl CLI" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/koredump/koredump" \
      org.opencontainers.image.url="https://github.com/koredump/koredump" \
      org.opencontainers.image.documentation="https://github.com/koredump/koredump#readme" \
      org.opencontainers.image.vendor="koredump" \
      org.opencontainers.image.base.name="docker.io/library/node:${NODE_VERSION}-bookworm-slim"

# journalctl: Debian bookworm's systemd 252 reads every journal file format in use by current
# hosts: the "compact" format (systemd >= 252 writes it by default: current Fedora/FCOS, Ubuntu
# 24.04, RHEL/RHCOS 9), keyed hashes (>= 246) and zstd/lz4/xz-compressed fields: all five
# incompatible header flags the journal file format knows; later systemd releases added none. A
# file with a flag journalctl does not know is skipped with "unsupported feature" (then move this
# stage to a newer Debian).
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends systemd libcap2-bin; \
    groupadd --system --gid 10001 koredump; \
    useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin koredump; \
    install -d -m 0755 /usr/libexec/koredump /usr/libexec/koredump/bin; \
    install -o root -g koredump -m 0750 /usr/local/bin/node /usr/libexec/koredump/node; \
    install -o root -g koredump -m 0750 /usr/bin/journalctl /usr/libexec/koredump/bin/journalctl; \
    setcap cap_dac_read_search=ep /usr/libexec/koredump/node; \
    setcap cap_dac_read_search=ep /usr/libexec/koredump/bin/journalctl; \
    getcap /usr/libexec/koredump/node | grep -q cap_dac_read_search=ep; \
    getcap /usr/libexec/koredump/bin/journalctl | grep -q cap_dac_read_search=ep; \
    /usr/libexec/koredump/bin/journalctl --version; \
    apt-get purge -y --auto-remove libcap2-bin; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/cache/debconf/*-old /var/log/*; \
    # Not needed at run time: the package managers of the base image.
    rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn-* \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg; \
    # The collector runs without no_new_privs (file capabilities need it off): no setuid/setgid
    # file may remain to escalate through.
    find / -xdev -type f -perm /6000 -exec chmod a-s {} +; \
    test -z "$(find / -xdev -type f -perm /6000)"

WORKDIR /opt/koredump
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/apps ./dist/apps
COPY --from=build /src/dist/libs ./dist/libs
COPY --from=build /src/dist/koredumpctl /usr/local/bin/koredumpctl

ENV NODE_ENV=production
USER 10001:10001
EXPOSE 5000 5001
# The chart always sets the command; this default runs the collector (FAKE_K8S=1 NO_TOKENS=1 for
# a local try without a cluster).
CMD ["node", "dist/apps/node-collector/src/main.js"]
