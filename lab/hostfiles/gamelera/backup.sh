#!/bin/bash
# scripts/backup.sh — daily MongoDB backup (lab adaptation of the seed: no S3, no rclone).
set -euo pipefail
BACKUP_DATE=$(date '+%Y%m%d_%H%M%S')
BACKUP_DIR="/tmp/bovine-backups"
mkdir -p "$BACKUP_DIR"
echo "1. Backing up MongoDB..."
mongodump --db bovine_weight_estimation --out "$BACKUP_DIR/mongodb-$BACKUP_DATE"
tar -czf "$BACKUP_DIR/mongodb-$BACKUP_DATE.tar.gz" -C "$BACKUP_DIR" "mongodb-$BACKUP_DATE"
rm -rf "${BACKUP_DIR:?}/mongodb-$BACKUP_DATE"
echo "2. Cleanup old backups..."
find "$BACKUP_DIR" -name "mongodb-*.tar.gz" -mtime +7 -delete
echo "3. Verifying backup..."
tar -tzf "$BACKUP_DIR/mongodb-$BACKUP_DATE.tar.gz" >/dev/null
echo "BACKUP COMPLETADO: $BACKUP_DIR/mongodb-$BACKUP_DATE.tar.gz"
