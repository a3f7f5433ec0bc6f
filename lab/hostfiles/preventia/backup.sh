#!/bin/bash
# backup.sh — PreventIA backup (lab adaptation of the seed): pg_dump custom + exports + configs.
set -euo pipefail
BACKUP_DIR="/backups"
RETENTION_DAYS=30
DB_NAME="preventia_news_prod"
DB_USER="preventia_prod"
TIMESTAMP=${TIMESTAMP:-$(date +%Y%m%d_%H%M%S)}
cd /opt/preventia
trap 'rm -f ${BACKUP_DIR}/*/*_${TIMESTAMP}.*' ERR   # lab: no partial backup sets
mkdir -p ${BACKUP_DIR}/{database,files,configs}
echo "Iniciando respaldo ${TIMESTAMP}..."
pg_dump -h /run/postgresql -U ${DB_USER} -d ${DB_NAME} --format=custom --compress=9 \
    > ${BACKUP_DIR}/database/db_${TIMESTAMP}.dump
tar -czf ${BACKUP_DIR}/files/exports_${TIMESTAMP}.tar.gz -C /opt/preventia exports/
tar -czf ${BACKUP_DIR}/configs/config_${TIMESTAMP}.tar.gz .env.production docker-compose.prod.yml nginx/
pg_restore --list ${BACKUP_DIR}/database/db_${TIMESTAMP}.dump > /dev/null
find ${BACKUP_DIR} -type f -mtime +${RETENTION_DAYS} -delete
echo "Respaldo completado: ${TIMESTAMP}"
