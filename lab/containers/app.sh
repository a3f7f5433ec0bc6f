#!/bin/sh
# Container entrypoint for the lab's busybox stand-ins: sh /lab/app.sh ROLE [PORT]
# Mounted read-only at /lab. /VERSION comes from the image (v1/v2/v3); an image with /DEGRADED
# (v3) is a bad release: its health endpoints report degraded/unhealthy. /fault/faults (per host,
# written by lab/break) lists degraded service names, one per line.
ROLE=$1
PORT=${2:-}
VERSION=$(cat /VERSION 2>/dev/null || echo unknown)
HOST=$(hostname)
BAD_RELEASE=; [ -e /DEGRADED ] && BAD_RELEASE=1
trap 'kill $HTTPD 2>/dev/null; exit 0' TERM INT
HTTPD=

now() { date -u '+%Y-%m-%d %H:%M:%S'; }
faulty() { grep -qx "$1" /fault/faults 2>/dev/null; }
serve() { mkdir -p "$1"; httpd -f -p "$PORT" -h "$1" & HTTPD=$!; }
nap() { sleep "$1" & wait $!; }
pick() { # pick N words... -> word number (tick % N)
  n=$1; shift; i=$((TICK % n + 1)); eval "echo \${$i}"; }
atomic() { cat >"$1.tmp" && mv -f "$1.tmp" "$1"; }

TICK=0
case "$ROLE" in
gamelera-backend)   # FastAPI stand-in: /api/v1/health + python-json-logger lines
  W=/tmp/www; mkdir -p $W/api/v1; serve $W
  while :; do
    st=healthy; m=healthy; s=healthy; ml='healthy (7/7 loaded)'   # the seed's health.py values
    faulty mongodb && { m=unhealthy; st=degraded; }
    # the lab's MongoDB files (mounted at /data/db): no animales collection = no database
    [ -d /data/db ] && [ ! -s /data/db/bovine_weight_estimation/animales.json ] && { m=unhealthy; st=degraded; }
    faulty s3_models && { s=unhealthy; st=degraded; }
    faulty ml_models && { ml=unhealthy; st=degraded; }
    [ -n "$BAD_RELEASE" ] && { ml=unhealthy; st=degraded; }
    faulty backend && st=unhealthy
    printf '{"status": "%s", "version": "%s", "timestamp": "%s", "hacienda": "Hacienda Gamelera", "services": {"mongodb": "%s", "s3_models": "%s", "ml_models": "%s"}}\n' \
      "$st" "$VERSION" "$(date -u +%Y-%m-%dT%H:%M:%S)" "$m" "$s" "$ml" | atomic $W/api/v1/health
    lvl=$(pick 7 INFO INFO DEBUG INFO WARNING INFO ERROR)
    msg=$(pick 5 "Peso estimado" "GET /api/v1/health 200" "Modelo TFLite cargado" "Sincronizacion con MongoDB" "Reporte SENASAG generado")
    printf '{"asctime": "%s", "levelname": "%s", "name": "app.api", "message": "%s", "raza": "%s", "peso_kg": %d, "version": "%s"}\n' \
      "$(now)" "$lvl" "$msg" "$(pick 3 nelore brahman gyr)" $((300 + TICK % 200)) "$VERSION"
    [ "$lvl" = ERROR ] && echo 'Traceback (most recent call last): ValueError: imagen sin bovino detectado' >&2
    TICK=$((TICK + 1)); nap 1
  done ;;
mongodb)            # mongod-style structured log lines (+ the collection sizes of /data/db now and then)
  while :; do
    if [ $((TICK % 20)) = 0 ] && [ -d /data/db/bovine_weight_estimation ]; then
      for f in /data/db/bovine_weight_estimation/*.json; do
        [ -e "$f" ] || continue; c=$(basename "$f" .json)
        printf '{"t":{"$date":"%s"},"s":"I","c":"STORAGE","id":20320,"ctx":"initandlisten","msg":"collection stats","attr":{"ns":"bovine_weight_estimation.%s","count":%d}}\n' \
          "$(date -u +%Y-%m-%dT%H:%M:%S.000+00:00)" "$c" "$(wc -l <"$f")"
      done
    fi
    printf '{"t":{"$date":"%s"},"s":"%s","c":"%s","id":%d,"ctx":"conn%d","msg":"%s"}\n' \
      "$(date -u +%Y-%m-%dT%H:%M:%S.000+00:00)" "$(pick 4 I I W I)" "$(pick 3 NETWORK STORAGE COMMAND)" $((22943 + TICK)) $((TICK % 9)) \
      "$(pick 3 'Connection accepted' 'WiredTiger checkpoint' 'Slow query')"
    TICK=$((TICK + 1)); nap 3
  done ;;
static)             # static http: ROLE static PORT PATH BODY
  W=/tmp/www; mkdir -p "$W$(dirname "$3")"; printf '%s\n' "$4" >"$W$3"
  printf '<html><body>%s %s</body></html>\n' "$HOST" "$VERSION" >$W/index.html
  serve $W
  while :; do echo "$(now) INFO $3 served by httpd on :$PORT"; nap 10; done ;;
epagal-backend)     # /health on :8081, json logs with timestamp/level/name/message
  W=/tmp/www; mkdir -p $W; serve $W
  while :; do
    st=healthy; db=connected
    faulty backend && st=unhealthy
    [ -n "$BAD_RELEASE" ] && st=unhealthy
    faulty database && { st=unhealthy; db=disconnected; }
    printf '{"status": "%s", "service": "EPAGAL Backend", "version": "%s", "timestamp": "%s", "database": "%s"}\n' \
      "$st" "$VERSION" "$(date -u +%Y-%m-%dT%H:%M:%S)" "$db" | atomic $W/health
    printf '{"timestamp": "%s", "level": "%s", "name": "epagal.rutas", "message": "%s", "zona": "%s", "incidencias_count": %d}\n' \
      "$(date -u +%Y-%m-%dT%H:%M:%S)" "$(pick 5 INFO INFO WARNING INFO ERROR)" \
      "$(pick 3 'Ruta generada' 'Incidencia registrada' 'OSRM lento')" "$(pick 3 norte centro sur)" $((TICK % 17))
    TICK=$((TICK + 1)); nap 2
  done ;;
preventia-api)      # replica: /health on the first free port from PORT (host network: compose
                    # scales the service, each replica needs its own port), plain log lines
  W=/tmp/www; mkdir -p $W; BASE=$PORT
  claim() {         # start httpd on BASE, BASE+1, ... until one binds (the loser of a race exits)
    p=$BASE
    while [ $p -lt $((BASE + 10)) ]; do
      httpd -f -p "$p" -h $W & HTTPD=$!
      nap 0.4
      if kill -0 $HTTPD 2>/dev/null; then PORT=$p; echo "$PORT" >/tmp/port; return 0; fi
      p=$((p + 1))
    done
    echo "no free port in $BASE-$((BASE + 9))" >&2; exit 1
  }
  printf '{"status": "starting"}\n' >$W/health
  claim
  echo "$(now),000 INFO [api-$PORT] listening on :$PORT"
  while :; do
    kill -0 $HTTPD 2>/dev/null || claim
    st=healthy; faulty api && st=unhealthy; faulty "api-$PORT" && st=unhealthy; [ -n "$BAD_RELEASE" ] && st=unhealthy
    printf '{"status": "%s", "version": "%s", "replica": "api-%s", "port": %s}\n' "$st" "$VERSION" "$PORT" "$PORT" | atomic $W/health
    echo "$(date -u '+%Y-%m-%d %H:%M:%S,000') $(pick 6 INFO INFO INFO WARNING INFO ERROR) [api-$PORT] $(pick 4 'GET /api/articles 200' 'GET /health 200' 'scraper batch stored' 'POST /api/auth/login 401')"
    TICK=$((TICK + 1)); nap 1
  done ;;
loop)               # generic worker: ROLE loop NAME
  while :; do
    echo "$(now) $(pick 5 INFO INFO DEBUG WARNING INFO) $PORT: $(pick 3 'tick' 'job done' 'queue empty') #$TICK"
    TICK=$((TICK + 1)); nap 5
  done ;;
*) echo "unknown role $ROLE" >&2; exit 2 ;;
esac
