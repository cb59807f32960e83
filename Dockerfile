# syntax=docker/dockerfile:1
# One image for every service; the Deployment picks the target:
#   args: [run, --target=hasher]
# Build: docker build -t booru:dev .
ARG NODE_IMAGE=node:20-slim

# --- manifests: the lockfile and every workspace's package.json, plus a compiler toolchain -----
FROM ${NODE_IMAGE} AS manifests
# Compilers only for a native module that has no prebuilt binary for this platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/proto/package.json packages/proto/
COPY packages/runtime/package.json packages/runtime/
COPY packages/cli/package.json packages/cli/
COPY services/hasher/package.json services/hasher/
COPY services/catalog/package.json services/catalog/
COPY services/dedup/package.json services/dedup/
COPY services/watcher/package.json services/watcher/
COPY services/console/package.json services/console/

# --- deps: production node_modules (native sharp and better-sqlite3 for this platform) ---------
FROM manifests AS deps
RUN npm ci --omit=dev --no-audit --no-fund

# --- build: every workspace compiled to its dist/ ---------------------------------------------
FROM manifests AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.json ./
COPY packages packages
COPY services services
RUN npx tsc -b

# --- runtime ------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# tini is PID 1: it forwards SIGTERM to node (graceful drain) and reaps zombies. ffmpeg (Debian's,
# with ffprobe): the hasher reads videos, APNG, BMP and JPEG XL through it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini ffmpeg \
 && rm -rf /var/lib/apt/lists/*
# MALLOC_ARENA_MAX=2: sharp/libvips decode threads otherwise grow glibc arenas and RSS drifts
# 15-20% over thousands of images (bench/hasher.mjs measures it).
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    BOORU_LISTEN=0.0.0.0:50051 \
    BOORU_METRICS_LISTEN=0.0.0.0:9464 \
    BOORU_DATA=/data
WORKDIR /app
# package.json files and node_modules (with the workspace links under node_modules/@booru).
COPY --from=deps /app /app
COPY --from=build /app/packages/proto/dist packages/proto/dist
COPY --from=build /app/packages/proto/descriptors.binpb packages/proto/descriptors.binpb
COPY --from=build /app/packages/runtime/dist packages/runtime/dist
COPY --from=build /app/packages/cli/dist packages/cli/dist
COPY --from=build /app/packages/cli/bin packages/cli/bin
COPY --from=build /app/services/hasher/dist services/hasher/dist
COPY --from=build /app/services/catalog/dist services/catalog/dist
COPY --from=build /app/services/dedup/dist services/dedup/dist
COPY --from=build /app/services/watcher/dist services/watcher/dist
# The console's page: its compiled modules are in dist/web, its HTML and CSS in web/.
COPY --from=build /app/services/console/dist services/console/dist
COPY --from=build /app/services/console/web services/console/web
# Non-root, numeric so runAsNonRoot can verify it. The root filesystem can be read-only:
# the process writes only to /tmp and /data (emptyDir or volumes in Kubernetes).
RUN groupadd --system --gid 10001 booru \
 && useradd --system --uid 10001 --gid booru --home-dir /nonexistent --no-create-home booru \
 && mkdir -p /data && chown booru:booru /data
USER 10001:10001
VOLUME ["/tmp", "/data"]
EXPOSE 50051 9464 8080
ENTRYPOINT ["/usr/bin/tini", "--", "node", "packages/cli/bin/booru.js"]
CMD ["run", "--target=all"]
