# syntax=docker/dockerfile:1
# Multi-stage build: compile with the full toolchain, ship only production dependencies and the
# compiled code, run as the unprivileged `node` user. The final stage holds no dev dependency
# (`npm prune --omit=dev` in the build stage) and no source: docker-compose.yml runs it with a
# read-only root filesystem.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/prisma ./prisma
# Code is owned by root and read-only to the process; it writes only to /tmp and /keys (the
# development audit signing key; mount a secret instead in production).
RUN mkdir /keys && chown node:node /keys
USER node
# 3000: the API. 9464/9465: the API's / worker's /metrics, on loopback unless METRICS_HOST and a
# METRICS_TOKEN are set (docker-compose.yml does, for a Prometheus in the same network).
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The V8 flag: see docs/operations.md, "Streaming throughput and memory" (same as `npm start`).
# The preload module starts OpenTelemetry before anything it instruments loads (a no-op unless
# OTEL_EXPORTER_OTLP_ENDPOINT is set); the worker uses the same with dist/src/main-worker.js.
CMD ["node", "--external-memory-accounted-in-global-limit", "--max-semi-space-size=32", "--import", "./dist/src/instrumentation.js", "dist/src/main-api.js"]
