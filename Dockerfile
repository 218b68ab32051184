# syntax=docker/dockerfile:1
# Smart Trip Planner API image. Build:  docker build -t smart-trip-planner:<version> .
# A build stage compiles src/ to plain JavaScript (`npm run build` → dist/); the runtime image holds
# dist/ and production dependencies only (no TypeScript sources, compiler, ESLint or tests) and runs
# `node dist/main.js`: no tsx loader thread nor start-up transpiling in any process (docs/production.md,
# "Memory"). NODE_IMAGE lets a machine without registry access pass a locally built Node 20 base
# (see ../shared/tools/podman-image-check.sh); it must have node and npm and a user with uid 1000.
ARG NODE_IMAGE=node:20-bookworm-slim

# --- production dependencies (cached until package*.json change) --------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install script (native code ships prebuilt, PGlite is wasm).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- build: every dependency (TypeScript), src/ type-checked and compiled into dist/ -------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- static files, precompressed once (brotli/gzip siblings @fastify/static serves) -------------
FROM deps AS assets
COPY scripts/precompress.ts ./scripts/
COPY public ./public
RUN node --import tsx scripts/precompress.ts public

# --- runtime -------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# MALLOC_ARENA_MAX=2: glibc gives each thread that allocates an arena of its own (up to 8 per
# core) and keeps what was freed there; V8's compiler and GC threads and libuv's pool left ~30 MB per
# worker in them after load. Two arenas hold ~20 MB less (`npm run start:prod` sets the same).
ENV NODE_ENV=production \
    APP_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data \
    MALLOC_ARENA_MAX=2
WORKDIR /app
# Code stays owned by root: the app (uid 1000) can read it but not change it.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
# bin/smart-trip-planner.mjs (the CLI: `node bin/smart-trip-planner.mjs migrate`) runs dist/cli.js
# here, since the image has no src/.
COPY bin ./bin
# Read at run time through paths relative to the compiled modules (dist/db/migrate.js →
# ../../migrations, dist/config/production.js → ../../public, dist/version.js → ../package.json):
# dist/ mirrors src/, one level below /app, so they resolve as they do from src/.
COPY migrations ./migrations
COPY --from=build /app/dist ./dist
COPY --from=assets /app/public ./public
# DATA_DIR: the embedded database (when DATABASE_URL is unset), MEDIA_ROOT, the email outbox.
RUN mkdir -p /data && chown 1000:1000 /data && chmod 0750 /data
VOLUME ["/data"]
USER 1000:1000
EXPOSE 8000
# node, not curl (slim images have none); /health/ is never redirected to https nor Host-checked.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health/',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node is PID 1 and receives SIGTERM itself (npm would not pass it on): graceful shutdown works.
# The same command as `npm run start:prod` (test/deploy-files.test.ts keeps them equal); its
# options are explained in docs/production.md, "Memory".
STOPSIGNAL SIGTERM
CMD ["node", "--max-old-space-size=256", "--max-semi-space-size=8", "dist/main.js"]
