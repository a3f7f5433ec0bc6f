# lab/lib.sh — shared constants and helpers for the opsdeck lab scripts (sourced).
# shellcheck shell=bash

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${OPSDECK_LAB_STATE:-/var/lib/opsdeck-lab}      # persistent: per-host storage, pg data, logs
RUN=${OPSDECK_LAB_RUN:-/run/opsdeck-lab}              # volatile: pids, namespace inodes
CACHE=${OPSDECK_LAB_CACHE:-/var/cache/opsdeck-lab}    # rootfs/image tarballs
KEYS="$LAB_DIR/state"                                 # client key + known_hosts (gitignored)
# The passphrase key (lab/state/id_passphrase) and the one host that takes it.
LAB_PASSPHRASE=opsdeck-lab-passphrase
PASSPHRASE_HOST=epagal
LOG="$STATE/lab.log"

BRIDGE=opsdk-br0
BRIDGE_IP=10.77.0.1
NET_PREFIX=24
HOSTS=(gamelera epagal triboka preventia)           # the SSH fleet
declare -A IP=([gamelera]=10.77.0.10 [epagal]=10.77.0.11 [triboka]=10.77.0.12 [preventia]=10.77.0.13 [cloud]=10.77.0.14)
# every namespace of the lab: the fleet plus `cloud` (moto's S3/ECS; no sshd, no podman)
NS_HOSTS=("${HOSTS[@]}" cloud)
# hosts whose sshd/podman run directly in the namespace (triboka runs systemd in a container)
NS_SSHD_HOSTS=(gamelera epagal preventia)
APP_IMAGE=localhost/opsdeck-lab/app
APP_TAGS=(v1 v2 v3)                                    # v3: health endpoints report degraded/unhealthy
VENV=${OPSDECK_LAB_VENV:-/var/lib/opsdeck-lab/venv}    # moto[server] (lab/install)
MOTO_PORT=5000
ECS_HEALTH_PORT=8080
S3_ENDPOINT="http://${IP[cloud]}:$MOTO_PORT"          # S3 and ECS API (moto)
CLOUD_CONF="$STATE/cloud"                              # the jump host's (this machine's) aws/rclone config
MONGO_DIR=/var/lib/lab-mongo                           # gamelera's "MongoDB" data dir (bound per host)
TRIBOKA_IMAGE=localhost/opsdeck-lab/triboka-base:bookworm
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# The lab's aws/rclone talk to moto only, with the config files lab/up writes: nothing from the
# caller's environment (rclone refuses to start with AWS_CA_BUNDLE set, even for http).
unset AWS_CA_BUNDLE AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
  AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE RCLONE_CONFIG

ns_name() { echo "opsdk-$1"; }
veth_name() { echo "opsdk-v${IP[$1]##*.}"; }       # host side, e.g. opsdk-v10
hostdir() { echo "$STATE/hosts/$1"; }

log() { echo "[$(date +%H:%M:%S)] $*" >>"$LOG"; }
say() { echo "$*"; log "$*"; }
die() { echo "lab: $*" >&2; log "FATAL: $*"; exit 1; }

need_root() { [ "$(id -u)" -eq 0 ] || die "must run as root"; }

# pid file helpers: $RUN/<host>/<name>.pid
pidfile() { echo "$RUN/$1/$2.pid"; }
# running PID: exists and is not a zombie (our daemons are reparented to PID 1, which may reap late)
running() { local st; st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1; [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]; }
alive() { local p; p=$(cat "$1" 2>/dev/null) || return 1; [ -n "$p" ] && running "$p"; }
init_pid() { cat "$(pidfile "$1" init)" 2>/dev/null; }
host_up() { alive "$(pidfile "$1" init)"; }

# Run a command inside host $1's namespaces (net + mount + uts of its init process).
in_host() { local h=$1; shift; local p; p=$(init_pid "$h") || die "$h is not up"; nsenter -t "$p" -n -m -u -- "$@"; }
# podman inside host $1 (its own storage/config are bound in its mount namespace)
hpodman() { local h=$1; shift; in_host "$h" podman "$@"; }

# Start a daemon inside host $1, record its pid as $2. Rest: command. Output to $STATE/hosts/<h>/log/<name>.log
start_daemon() {
  local h=$1 name=$2; shift 2
  local pf; pf=$(pidfile "$h" "$name")
  if alive "$pf"; then return 0; fi
  mkdir -p "$(hostdir "$h")/log"
  local p; p=$(init_pid "$h")
  # Inherited descriptors (a caller's lock file, a test harness's pipes) are closed: a
  # daemon outlives its caller and must not hold what the caller held.
  setsid nsenter -t "$p" -n -m -u -- "$@" </dev/null >>"$(hostdir "$h")/log/$name.log" 2>&1 \
    3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
  echo $! >"$pf"
}
stop_pidfile() {  # stop the process recorded in pidfile $1 (TERM, then KILL)
  local pf=$1 p i
  p=$(cat "$pf" 2>/dev/null) || { rm -f "$pf"; return 0; }
  if [ -n "$p" ] && running "$p"; then
    kill -TERM "$p" 2>/dev/null || true
    for i in $(seq 1 50); do running "$p" || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  fi
  rm -f "$pf"
}

# sshd of a namespace host (not triboka): own host key, lab client key, root by key only.
# A fresh sshd (none running) always starts with the original host key.
write_sshd_config() {  # HOST [ADDRESS] — host key (kept), authorized_keys, $STATE/hosts/HOST/ssh/sshd_config
  local h=$1 addr=${2:-${IP[$1]:-}} hd; hd=$(hostdir "$h")
  mkdir -p "$hd/ssh"
  [ -f "$hd/ssh/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C "$h-lab-host" -f "$hd/ssh/ssh_host_ed25519_key"
  if ! alive "$(pidfile "$h" sshd)"; then   # a fresh sshd always starts with the original key
    ln -sfn ssh_host_ed25519_key "$hd/ssh/hostkey"
    rm -f "$hd/ssh/ssh_host_ed25519_key.changed" "$hd/ssh/ssh_host_ed25519_key.changed.pub"
  fi
  cp "$KEYS/id_ed25519.pub" "$hd/ssh/authorized_keys"; chmod 600 "$hd/ssh/authorized_keys"
  if [ "$h" = "$PASSPHRASE_HOST" ] && [ -f "$KEYS/id_passphrase.pub" ]; then
    cat "$KEYS/id_passphrase.pub" >>"$hd/ssh/authorized_keys"
  fi
  cat >"$hd/ssh/sshd_config" <<EOF
# opsdeck lab sshd for $h ($addr)
Port 22
ListenAddress 0.0.0.0
HostKey $hd/ssh/hostkey
PidFile none
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $hd/ssh/authorized_keys
UsePAM no
AllowStreamLocalForwarding yes
AllowTcpForwarding yes
MaxSessions 10
MaxStartups 50:30:100
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
}

wait_for() {  # wait_for SECONDS DESCRIPTION CMD...
  local t=$1 what=$2; shift 2
  local end=$((SECONDS + t))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || { echo "lab: timeout waiting for $what" >&2; log "timeout waiting for $what"; return 1; }
    sleep 0.3
  done
}

# The Debian mirror apt uses on this machine (for debootstrap). Never hard-coded.
apt_mirror() {
  local f uri
  # deb822 .sources files: URIs + Suites containing the bare release name
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk -v RS='' '/(^|\n)Suites:[^\n]*[ \t]bookworm([ \t]|\n|$)/ || /(^|\n)Suites:[ \t]*bookworm([ \t]|\n|$)/ {
            if ($0 !~ /Enabled:[ \t]*no/) { n=split($0, L, "\n"); for (i=1;i<=n;i++) if (L[i] ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", L[i]); split(L[i], U, " "); print U[1]; exit } } }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return 0; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri=$(awk '$1=="deb" { i=2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i+1)=="bookworm") { print $i; exit } }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return 0; }
  done
  return 1
}

# Prometheus on preventia's address (lab/up starts it; lab/break prometheus-start restarts it
# after prometheus-stop with the same data directory, so its series survive).
start_prometheus() {
  local pd; pd="$(hostdir preventia)/prometheus"
  local ip=${IP[preventia]}
  start_daemon preventia prometheus prometheus --rules.alert.resend-delay=5s --config.file="$pd/prometheus.yml" --storage.tsdb.path="$pd/data" \
    --storage.tsdb.retention.time=1d --web.listen-address="$ip:9090" --web.external-url="http://$ip:9090/" --web.enable-lifecycle
}

# Alertmanager on preventia (lab/up, and lab/break alertmanager-start after a stop).
start_alertmanager() {
  local pd; pd="$(hostdir preventia)/prometheus"
  start_daemon preventia alertmanager prometheus-alertmanager --config.file="$pd/alertmanager.yml" \
    --storage.path="$pd/am-data" --web.listen-address="${IP[preventia]}:9093" --cluster.listen-address= \
    --web.external-url="http://${IP[preventia]}:9093/"
}
