#!/bin/bash
# restore.sh <timestamp|/backups/database/db_TIMESTAMP.dump> — PreventIA restore (lab adaptation).
set -euo pipefail
[ "$#" -eq 1 ] || { echo "Uso: $0 <timestamp>   (ej. $0 20240729_120000)"; exit 1; }
TIMESTAMP=$(basename "$1" .dump); TIMESTAMP=${TIMESTAMP#db_}
BACKUP_DIR="/backups"
[ -f ${BACKUP_DIR}/database/db_${TIMESTAMP}.dump ] || { echo "no existe db_${TIMESTAMP}.dump" >&2; exit 1; }
cd /opt/preventia                # .env: COMPOSE_FILE=docker-compose.prod.yml, project preventia
trap 'echo "restore failed; starting services again" >&2; docker-compose start api frontend analytics_service >/dev/null 2>&1' ERR
echo "Deteniendo servicios..."
docker-compose stop api frontend analytics_service >/dev/null 2>&1
echo "Restaurando base de datos..."
pg_restore --clean --if-exists -h /run/postgresql -U preventia_prod -d preventia_news_prod \
    < ${BACKUP_DIR}/database/db_${TIMESTAMP}.dump
echo "Restaurando archivos..."
[ -f ${BACKUP_DIR}/files/exports_${TIMESTAMP}.tar.gz ] && tar -xzf ${BACKUP_DIR}/files/exports_${TIMESTAMP}.tar.gz -C /opt/preventia/
echo "Reiniciando servicios..."
docker-compose start api frontend analytics_service >/dev/null 2>&1
for i in $(seq 1 20); do curl -fsS http://127.0.0.1:8000/health >/dev/null 2>&1 && break; sleep 1; done
curl -fsS http://127.0.0.1:8000/health
echo "Recuperacion completada: ${TIMESTAMP}"
