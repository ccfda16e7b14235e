# The asrflow image: the worker by default (`docker run IMAGE`), any CLI command otherwise
# (`docker run IMAGE doctor`, `… emulator start`). Used by docker-compose.yml. The emulator is the
# npm workspace package packages/azure-emulator (@asrflow/azure-emulator): installed by the root's
# `npm ci` as a link into node_modules, built first by `npm run build`, shipped as its dist/.
#
# test/deploy/dockerfile.test.ts replays this file outside Docker (COPY from the checkout, RUN in a
# temporary directory, then ENTRYPOINT + CMD against a real Temporal server), so RUN commands
# stay relative to WORKDIR and must not touch anything outside it.

# Debian, not Alpine: @swc/core (used by the worker's workflow bundler) ships glibc binaries.
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
# The workspace's package.json too: `npm ci` checks every workspace against the lockfile.
COPY package.json package-lock.json ./
COPY packages/azure-emulator/package.json ./packages/azure-emulator/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY packages/azure-emulator ./packages/azure-emulator
COPY src ./src
RUN npm run build
# Mount points of the named volumes. An empty named volume takes the content and ownership of
# the image directory it is mounted on, so the non-root user can write the credentials files.
RUN mkdir -p var/credentials var/emulator

# Production dependencies only, from the same lockfile (package.json `overrides` pins @swc/core,
# which the workflow bundler of @temporalio/worker needs at run time).
FROM node:20.20.2-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/azure-emulator/package.json ./packages/azure-emulator/
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20.20.2-bookworm-slim AS runtime
ENV NODE_ENV=production \
    ASRFLOW_CREDENTIALS_DIR=/var/lib/asrflow/credentials
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json package-lock.json ./
# The emulator package as node_modules/@asrflow/azure-emulator links it: its package.json, its
# compiled code and its default estate (examples/estate.yaml).
COPY packages/azure-emulator/package.json ./packages/azure-emulator/
COPY --from=build /app/packages/azure-emulator/dist ./packages/azure-emulator/dist
COPY packages/azure-emulator/examples ./packages/azure-emulator/examples
COPY bin ./bin
# The example plans; schemas/ for `plan validate` users.
COPY examples ./examples
COPY schemas ./schemas
COPY --from=build --chown=node:node /app/var /var/lib/asrflow
# The official image's unprivileged user (uid 1000).
USER node
ENTRYPOINT ["node", "bin/asrflow.js"]
CMD ["worker"]
