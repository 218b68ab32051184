# shellcheck shell=bash
# Deployment steps of .ci/run (sourced by it; uses its log, note, apt_install, wait_until, pg_tcp,
# pg_ready, redis_ready, PG_*/REDIS_* and CI_TMP):
#   image (podman)     the Dockerfile builds with podman, runs as uid 1000, /health/ and HEALTHCHECK pass
#   smoke (nginx TLS)  a production-mode instance behind a TLS-terminating nginx with a self-signed
#                      certificate: `smoke https://… --insecure` passes, and fails with a clear line
#                      when a header is stripped or the redirect is switched off
# Each blocking command has its own time limit (the step's worst case is in .ci/run's header).

# The podman script lives beside the repository (../shared/tools); override with PODMAN_IMAGE_CHECK.
PODMAN_IMAGE_CHECK=${PODMAN_IMAGE_CHECK:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/shared/tools/podman-image-check.sh}

# A strong random secret for the production-mode instances (never reused outside this run).
ci_secret() { node -e "console.log(require('crypto').randomBytes(48).toString('base64url'))"; }

# A TCP port nothing listens on right now.
free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# The Debian mirror apt already uses (deb822 .sources files included; the script only reads sources.list).
apt_mirror() {
  grep -hoE 'https?://[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v -- -security | grep -v snapshot | head -n 1 || true
}

# ci_database SUFFIX: creates an empty database for one step and prints its URL.
ci_database() {
  local name="${CI_DB}_$1"
  pg_tcp "$PG_PORT" -qc "create database $name" >/dev/null
  echo "postgresql://postgres@$PG_HOST:$PG_PORT/$name"
}

drop_ci_database() { pg_tcp "$PG_PORT" -qc "drop database if exists ${CI_DB}_$1 with (force)" >/dev/null 2>&1 || true; }

step_image_check() {
  note "podman script not found"
  [[ -f "$PODMAN_IMAGE_CHECK" ]] || {
    log "no podman image check at $PODMAN_IMAGE_CHECK (set PODMAN_IMAGE_CHECK)"
    return 1
  }
  if ! pg_ready "$PG_PORT" || ! redis_ready "$REDIS_PORT"; then
    log "PostgreSQL and Redis must answer: the container uses them"
    return 1
  fi
  local url port mirror secret rc=0
  secret=$(ci_secret)
  url=$(ci_database image)
  port=$(free_port)
  mirror=$(apt_mirror)
  # The container's production environment (host networking: 127.0.0.1 is this machine).
  local run_env="-e SECRET_KEY=$secret -e ALLOWED_HOSTS=localhost,127.0.0.1 -e MIGRATE_ON_START=true"
  run_env+=" -e DATABASE_URL=$url -e DB_SSLMODE=disable -e REDIS_URL=redis://$REDIS_HOST:$REDIS_PORT"
  # One worker: the script waits only ~30 s for /health/, and each extra worker loads the whole app
  # again at start-up (cluster mode is tested by the suite and the bench).
  run_env+=" -e REDIS_KEY_PREFIX=${CI_DB}_image: -e WEB_CONCURRENCY=1"
  log "APP_DIR=$(pwd) PORT=$port bash $PODMAN_IMAGE_CHECK (RUN_ENV: production, PostgreSQL $url, Redis)"
  # An empty MIRROR lets the script detect its own.
  APP_DIR=$(pwd) PORT=$port WORK="$CI_TMP/podman" RUN_ENV="$run_env" MIRROR="$mirror" \
    timeout -k 30s 10m bash "$PODMAN_IMAGE_CHECK" 2>&1 | tee "$CI_TMP/image-check.log" || rc=$?
  drop_ci_database image
  local summary
  summary=$(grep -E '^(exec id -u|healthcheck):' "$CI_TMP/image-check.log" | tr '\n' ' ' || true)
  note "${summary:-no result}"
  note_timeout "$rc" 10m
  return "$rc"
}

# --- TLS smoke -------------------------------------------------------------------------------

# nginx_conf HTTPS_PORT HTTP_PORT APP_PORT [EXTRA]: TLS on one port, plain http on another, both
# proxied to the app with the forwarded headers it trusts from 127.0.0.1. EXTRA goes in `location`.
nginx_conf() {
  # As root, workers would otherwise run as nobody and could not use the temp paths under CI_TMP.
  cat <<CONF
user root;
worker_processes 1;
error_log $CI_TMP/nginx/error.log warn;
pid $CI_TMP/nginx/nginx.pid;
events { worker_connections 256; }
http {
  access_log $CI_TMP/nginx/access.log;
  client_body_temp_path $CI_TMP/nginx/body;
  proxy_temp_path $CI_TMP/nginx/proxy;
  fastcgi_temp_path $CI_TMP/nginx/fastcgi;
  uwsgi_temp_path $CI_TMP/nginx/uwsgi;
  scgi_temp_path $CI_TMP/nginx/scgi;
  map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:$1 ssl;
    listen 127.0.0.1:$2;
    ssl_certificate $CI_TMP/nginx/cert.pem;
    ssl_certificate_key $CI_TMP/nginx/key.pem;
    client_max_body_size 8m;
    location / {
      proxy_pass http://127.0.0.1:$3;
      proxy_http_version 1.1;
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_read_timeout 300s;
      ${4:-}
    }
  }
}
CONF
}

# start_app APP_PORT SECURE_SSL_REDIRECT DATABASE_URL: a production-mode instance in the background,
# started as `npm run start:prod` ([NAME=value ...] node [options ...] dist/main.js) starts it, but
# through env, not npm, so that stop_app's SIGTERM reaches node itself; dist/ is built by the
# typecheck + build step.
start_app() {
  local start_prod
  read -ra start_prod <<<"$(node -p 'require("./package.json").scripts["start:prod"]')"
  [[ -f dist/main.js ]] || {
    log "dist/main.js is missing: the typecheck + build step did not build it"
    return 1
  }
  log "starting the app: APP_ENV=production SECURE_SSL_REDIRECT=$2 TRUSTED_PROXIES=127.0.0.1 on 127.0.0.1:$1"
  env -u KEEP_TEST_DB -u TEST_PGLITE_TEMPLATE APP_ENV=production HOST=127.0.0.1 PORT="$1" \
    SECRET_KEY="$SMOKE_SECRET" ALLOWED_HOSTS=127.0.0.1,localhost SECURE_SSL_REDIRECT="$2" \
    TRUSTED_PROXIES=127.0.0.1 CORS_ALLOWED_ORIGINS="$SMOKE_ORIGIN" DATABASE_URL="$3" DB_SSLMODE=disable \
    REDIS_URL="redis://$REDIS_HOST:$REDIS_PORT" REDIS_KEY_PREFIX="${CI_DB}_smoke:" MIGRATE_ON_START=true \
    WEB_CONCURRENCY=1 DATA_DIR="$CI_TMP/smoke-data" LOG_LEVEL=warn \
    timeout -k 10s 15m env "${start_prod[@]}" >>"$CI_TMP/smoke-app.log" 2>&1 &
  APP_PID=$!
  wait_until 75 curl -fsS "http://127.0.0.1:$1/health/" || {
    tail -n 20 "$CI_TMP/smoke-app.log"
    return 1
  }
}

stop_app() {
  [[ -n "${APP_PID:-}" ]] || return 0
  kill -TERM "$APP_PID" 2>/dev/null || true
  wait "$APP_PID" 2>/dev/null || true
  APP_PID=
}

# run_smoke NAME ARGS...: one smoke run, its output kept as $CI_TMP/smoke-NAME.log; returns its exit code.
run_smoke() {
  local name=$1 rc=0
  shift
  log "smoke $* (SMOKE_ORIGIN=$SMOKE_ORIGIN)"
  SMOKE_ORIGIN="$SMOKE_ORIGIN" timeout -k 10s 90s node bin/smart-trip-planner.mjs smoke "$@" \
    2>&1 | tee "$CI_TMP/smoke-$name.log" || rc=$?
  return "$rc"
}

# Reloads nginx's configuration through its own pid file (signalling `timeout`, which wraps it,
# would make timeout kill it 10 s later); old workers finish their requests meanwhile.
reload_nginx() {
  timeout 30s nginx -e "$CI_TMP/nginx/error.log" -c "$CI_TMP/nginx/nginx.conf" -s reload
  sleep 2
}

# The smoke step's EXIT trap: app, nginx and database go, whatever happened.
smoke_cleanup() {
  log "stopping the app and nginx, dropping ${CI_DB}_smoke"
  stop_app
  if [[ -n "${NGINX_PID:-}" ]]; then
    kill -TERM "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
  fi
  drop_ci_database smoke
}

# expect_line NAME REGEX: the smoke run NAME printed a line matching REGEX (its clear failure line).
expect_line() {
  grep -E "$2" "$CI_TMP/smoke-$1.log" || {
    note "smoke $1 failed, but without a line matching $2"
    return 1
  }
}

step_tls_smoke() {
  note "setup failed"
  if ! command -v nginx >/dev/null || ! command -v openssl >/dev/null; then apt_install nginx openssl; fi
  mkdir -p "$CI_TMP/nginx" "$CI_TMP/smoke-data"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext 'subjectAltName=IP:127.0.0.1,DNS:localhost' \
    -keyout "$CI_TMP/nginx/key.pem" -out "$CI_TMP/nginx/cert.pem" 2>/dev/null
  SMOKE_SECRET=$(ci_secret)
  SMOKE_ORIGIN=https://app.example.test
  local https_port http_port app_port url results=()
  https_port=$(free_port)
  http_port=$(free_port)
  app_port=$(free_port)
  url=$(ci_database smoke)
  # Globals, not locals: the EXIT trap runs after this function has returned.
  NGINX_PID=
  trap smoke_cleanup EXIT

  nginx_conf "$https_port" "$http_port" "$app_port" >"$CI_TMP/nginx/nginx.conf"
  nginx -t -e "$CI_TMP/nginx/error.log" -c "$CI_TMP/nginx/nginx.conf"
  log "nginx: https://127.0.0.1:$https_port and http://127.0.0.1:$http_port → app on $app_port"
  timeout -k 10s 15m nginx -e "$CI_TMP/nginx/error.log" -c "$CI_TMP/nginx/nginx.conf" -g 'daemon off;' &
  NGINX_PID=$!
  start_app "$app_port" true "$url"
  local base="https://127.0.0.1:$https_port" args=(--insecure --http-url "http://127.0.0.1:$http_port")

  # 1. Everything on: must pass.
  if ! run_smoke pass "$base" "${args[@]}"; then
    note "smoke failed against a correct deployment"
    return 1
  fi
  results+=("passes")

  # 2. nginx strips Content-Security-Policy and HSTS: must fail, naming both.
  nginx_conf "$https_port" "$http_port" "$app_port" \
    'proxy_hide_header Content-Security-Policy; proxy_hide_header Strict-Transport-Security;' \
    >"$CI_TMP/nginx/nginx.conf"
  reload_nginx
  if run_smoke no-headers "$base" "${args[@]}"; then
    note "smoke passed although nginx stripped CSP and HSTS"
    return 1
  fi
  expect_line no-headers '^FAIL Content-Security-Policy: missing'
  expect_line no-headers '^FAIL Strict-Transport-Security: missing on an https response'
  results+=("fails without CSP/HSTS")

  # 3. Headers back, SECURE_SSL_REDIRECT=false: must fail on the redirect.
  nginx_conf "$https_port" "$http_port" "$app_port" >"$CI_TMP/nginx/nginx.conf"
  reload_nginx
  stop_app
  start_app "$app_port" false "$url"
  if run_smoke no-redirect "$base" "${args[@]}"; then
    note "smoke passed although SECURE_SSL_REDIRECT=false"
    return 1
  fi
  expect_line no-redirect '^FAIL HTTPS redirect: .*SECURE_SSL_REDIRECT is off'
  results+=("fails without the redirect")
  local joined
  joined=$(printf '%s, ' "${results[@]}")
  note "$(grep -E '^[0-9]+ pass' "$CI_TMP/smoke-pass.log" | head -n 1); ${joined%, }"
}
