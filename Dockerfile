# syntax=docker/dockerfile:1
# Smart Trip Planner API image. Build:  docker build -t smart-trip-planner:<version> .
# The app runs its TypeScript through tsx (a production dependency), so there is no compile step:
# the image holds src/ as written and production dependencies only (no TypeScript, ESLint, tests).
# NODE_IMAGE lets a machine without registry access pass a locally built Node 20 base
# (see ../shared/tools/podman-image-check.sh); it must have node and npm and a user with uid 1000.
ARG NODE_IMAGE=node:20-bookworm-slim

# --- production dependencies (cached until package*.json change) --------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install script (native code ships prebuilt, PGlite is wasm).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- static files, precompressed once (brotli/gzip siblings @fastify/static serves) -------------
FROM deps AS assets
COPY scripts/precompress.ts ./scripts/
COPY public ./public
RUN node --import tsx scripts/precompress.ts public

# --- runtime -------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    APP_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data
WORKDIR /app
# Code stays owned by root: the app (uid 1000) can read it but not change it.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY migrations ./migrations
COPY src ./src
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
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "src/main.ts"]
