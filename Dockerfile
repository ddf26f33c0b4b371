# syntax=docker/dockerfile:1
# aigateway: one image for `aigw serve`, `aigw operator` and `aigw emulator`.
# Build: docker build -t aigateway:dev .   (used by `make e2e-kind`; docs/install.md, "Building the image")
#
# Base images are pinned by the digest of their multi-arch index, with the tag kept for readers, so a
# rebuild of the same commit gets the same bases. Node 22 is the project's floor (package.json
# `engines`). To move to newer bases, resolve the tags again and replace both values (or override them
# for one build with --build-arg):
#   docker buildx imagetools inspect node:22-bookworm-slim --format '{{json .Manifest.Digest}}'
#   docker buildx imagetools inspect gcr.io/distroless/nodejs22-debian12:nonroot --format '{{json .Manifest.Digest}}'
# (`crane digest IMAGE` prints the same digest.)
ARG BUILD_IMAGE=node:22-bookworm-slim@sha256:43ac6c60b8f89723f746e8a92ce91abd5017e627ce1ddfe4238355d3a30b772c
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs22-debian12:nonroot@sha256:13593b7570658e8477de39e2f4a1dd25db2f836d68a0ba771251572d23bb4f8e

# --- build: compile TypeScript with the full dev toolchain ------------------------------------
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY gateway ./gateway
COPY operator ./operator
COPY emulator ./emulator
COPY bench ./bench
RUN npx tsc -p tsconfig.build.json

# --- deps: production dependencies only -------------------------------------------------------
FROM ${BUILD_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime: distroless Node 22, non-root (UID 65532, as the chart's securityContext expects) --
FROM ${RUNTIME_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
# glibc's malloc otherwise raises its mmap threshold (and with it the trim threshold) to the largest block
# the process has freed, up to 32 MiB, and then keeps that much freed memory instead of returning it: a fixed
# 128 KiB threshold keeps the gateway's RSS 5-10 MiB lower under load, at a few dozen more mmap calls a
# minute (docs/benchmarks.md, Memory). make bench runs aigw with this stage's ENV, as the image does.
ENV MALLOC_MMAP_THRESHOLD_=131072
COPY --from=deps --chown=65532:65532 /app/node_modules ./node_modules
COPY --from=build --chown=65532:65532 /src/dist ./dist
COPY --chown=65532:65532 package.json ./
USER 65532:65532
EXPOSE 8080 9090
# A 4 MiB young-generation semi-space keeps RSS 20-25 MiB lower under load at no measurable CPU or p99 cost
# (docs/benchmarks.md, memory section).
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=4", "/app/dist/gateway/src/cli/aigw.js"]
CMD ["serve", "--compiled-config", "/etc/aigateway/compiled"]
