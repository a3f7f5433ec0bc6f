#!/bin/bash
# backup_triboka.sh — daily backup: SQLite db + configs, tarred (adapted from the seed).
set -euo pipefail
BACKUP_DIR="/home/rootpanel/backups"
DATE=$(date +%Y%m%d_%H%M%S)
BACKUP_NAME="triboka_backup_$DATE"
APP=/home/rootpanel/web/app.triboka.com

mkdir -p "$BACKUP_DIR/$BACKUP_NAME"
# consistent copy of the live database
sqlite3 "$APP/backend/instance/triboka.db" ".backup '$BACKUP_DIR/$BACKUP_NAME/triboka.db'"
cp /etc/nginx/conf.d/app.triboka.com.conf "$BACKUP_DIR/$BACKUP_NAME/"
cp /etc/systemd/system/triboka-*.service "$BACKUP_DIR/$BACKUP_NAME/"
tar -czf "$BACKUP_DIR/${BACKUP_NAME}.tar.gz" -C "$BACKUP_DIR" "$BACKUP_NAME"
rm -rf "${BACKUP_DIR:?}/$BACKUP_NAME"
chown rootpanel:rootpanel "$BACKUP_DIR/${BACKUP_NAME}.tar.gz" 2>/dev/null || true
echo "$(date): Backup completado - $BACKUP_NAME" >> /var/log/triboka/backups.log
echo "$BACKUP_DIR/${BACKUP_NAME}.tar.gz"
