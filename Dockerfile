# syntax=docker/dockerfile:1
#
# One image recipe for all five Trove apps. The whole monorepo is built once (the build
# stages do not depend on APP, so BuildKit shares them between apps); APP only picks
# which app the final image runs:
#
#   docker build --build-arg APP=catalog -t trove/catalog .
#
# Every image carries every app's migrations, so `node scripts/migrate.mjs <app>` works in
# any of them (Kubernetes runs it as an init container, compose as a one-shot service).

# Node 24, the active LTS, as in .nvmrc (scripts/check-deploy.mjs holds the two together).
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS base
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /app

# --- build: all dependencies, then tsc over apps/ and libs/ -> dist/ ----------------------
FROM base AS build
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked npm ci
COPY . .
RUN npm run build

# --- production dependencies only ---------------------------------------------------------
FROM base AS prod-deps
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked npm ci --omit=dev

# --- runtime ------------------------------------------------------------------------------
FROM base AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0
# Files stay owned by root and read-only for the app user, so the container also runs
# with a read-only root filesystem (only /tmp needs to be writable).
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY --from=build /app/dist ./dist
COPY scripts ./scripts
COPY deploy/docker/healthcheck.cjs ./healthcheck.cjs
# The one writable place besides /tmp, for data an app keeps on local disk (delivery's local
# object storage); compose and Kubernetes mount a volume here.
RUN mkdir -p /var/lib/trove && chown 1000:1000 /var/lib/trove

# APP is declared this late so that every layer above is shared by the five images.
ARG APP
RUN test -n "${APP}" || { echo "build with --build-arg APP=<gateway|catalog|ordering|billing|delivery>" >&2; exit 1; }; \
    test -f "dist/apps/${APP}/src/main.js" || { echo "no app '${APP}': dist/apps/${APP}/src/main.js was not built" >&2; exit 1; }
ENV APP=${APP}
LABEL org.opencontainers.image.title="trove-${APP}" \
      org.opencontainers.image.description="Trove ${APP} service"

# The image's `node` user (uid/gid 1000), numeric so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000

# PORT is set by compose / Kubernetes; healthcheck.cjs falls back to the app's default port.
EXPOSE 3000 3001 3002 3003 3004
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "/app/healthcheck.cjs", "live"]

STOPSIGNAL SIGTERM
# exec: node becomes PID 1 and receives SIGTERM itself (the apps shut down gracefully on it).
CMD exec node "dist/apps/${APP}/src/main.js"
