#!/bin/bash
# restore_triboka.sh FILE — restore the SQLite db from a backup tarball (service stopped meanwhile).
set -euo pipefail
FILE=${1:?usage: restore_triboka.sh /home/rootpanel/backups/triboka_backup_YYYYMMDD_HHMMSS.tar.gz}
APP=/home/rootpanel/web/app.triboka.com
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
tar -xzf "$FILE" -C "$TMP"
DB=$(find "$TMP" -name triboka.db | head -n1)
[ -n "$DB" ] || { echo "no triboka.db in $FILE" >&2; exit 1; }
sqlite3 "$DB" 'pragma integrity_check' | grep -qx ok
systemctl stop triboka-flask.service
cp "$DB" "$APP/backend/instance/triboka.db"
chown rootpanel:rootpanel "$APP/backend/instance/triboka.db"
systemctl start triboka-flask.service
echo "$(date): Restore completado desde $FILE" >> /var/log/triboka/backups.log
echo "restored $FILE"
