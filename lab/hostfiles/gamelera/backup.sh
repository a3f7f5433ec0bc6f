#!/bin/bash
# scripts/backup.sh — daily MongoDB backup with its off-site copy (lab adaptation of seed 000):
# mongodump --gzip -> tarball in /tmp/bovine-backups -> rclone to labs3:bovine-backups/mongodb/
# (moto's S3 on the lab's cloud host). rclone copies every local tarball the bucket lacks.
set -euo pipefail

echo "=========================================="
echo "BACKUP DIARIO - HACIENDA GAMELERA"
echo "Fecha: $(date '+%Y-%m-%d %H:%M:%S')"
echo "=========================================="

BACKUP_DATE=$(date '+%Y%m%d_%H%M%S')
BACKUP_DIR="/tmp/bovine-backups"
S3_REMOTE="labs3:bovine-backups/mongodb"
NAME="mongodb-$BACKUP_DATE"
mkdir -p "$BACKUP_DIR"
trap 'rm -rf "${BACKUP_DIR:?}/$NAME"' EXIT
trap 'rm -f "$BACKUP_DIR/$NAME.tar.gz"' ERR        # never leave a partial tarball behind

echo "1. Backing up MongoDB..."
mongodump --out "$BACKUP_DIR/$NAME" --db bovine_weight_estimation --gzip
tar -czf "$BACKUP_DIR/$NAME.tar.gz" -C "$BACKUP_DIR" "$NAME"
tar -tzf "$BACKUP_DIR/$NAME.tar.gz" >/dev/null
trap - ERR

echo "2. Uploading to S3..."
rclone copy "$BACKUP_DIR" "$S3_REMOTE" --include 'mongodb-*.tar.gz' --transfers 4 --checkers 8

echo "3. Cleanup old backups..."
find "$BACKUP_DIR" -name "mongodb-*.tar.gz" -mtime +7 -delete

echo "4. Verifying backup..."
rclone lsf "$S3_REMOTE" | grep -qx "$NAME.tar.gz" || { echo "off-site copy $S3_REMOTE/$NAME.tar.gz not found" >&2; exit 1; }

echo "=========================================="
echo "BACKUP COMPLETADO: $BACKUP_DIR/$NAME.tar.gz"
echo "Ubicación: $S3_REMOTE/$NAME.tar.gz"
echo "=========================================="
