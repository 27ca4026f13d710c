#!/bin/bash
# testbed.sh - Container Exec's offline Docker test bench (Debian 12, root, cgroup v1 or v2).
# Adapted from the team's shared docker-env.sh; tests read the KEY=VALUE lines it prints (also kept in STATE_DIR/env).
#
#   testbed.sh [start] [STATE_DIR]   start everything that is not running (idempotent), print KEY=VALUE
#   testbed.sh stop    [STATE_DIR]   stop only what this script started (recorded PIDs), keep state
#   testbed.sh env     [STATE_DIR]   print the KEY=VALUE lines only
#   testbed.sh status  [STATE_DIR]   show what is running
#   testbed.sh images  [STATE_DIR]   only build the images below into the primary daemon if missing (npm start's offline first run)
#   testbed.sh purge   [STATE_DIR]   stop, then delete STATE_DIR
#   testbed.sh stop-daemon ROLE      stop one extra daemon (tls | tcp | crash), e.g. to test recovery; `start` brings it back
#   testbed.sh start-daemon crash    start the throwaway "crash" daemon (not part of `start`), print DOCKER_CRASH_HOST=...
#   testbed.sh kill-daemon crash     SIGKILL it (dockerd only, like a crash: its containers and their shims live on)
#   testbed.sh stop-daemon swarm     stop the three swarm daemons (their swarm state is kept: `start` brings the swarm back)
#   testbed.sh stop-daemon swarm-m   stop one swarm node's daemon (swarm-m | swarm-w1 | swarm-w2), e.g. a manager lost mid-run
# STATE_DIR defaults to $CONTAINER_EXEC_TESTBED or /tmp/container-exec-testbed. The subcommand and STATE_DIR may be given in either order.
#
# What "start" provides (all on 127.0.0.1):
#   primary  : unix:///var/run/docker.sock  (used if it answers; started by this script only if it does not)
#   tls      : extra dockerd, tcp://127.0.0.1:23760 with --tlsverify (CA/server/client certs generated here)
#   tcp      : extra dockerd, tcp://127.0.0.1:23750 plain HTTP; has runtime "fake" (=runc) and, unless
#              DOCKERENV_FAKE_GPU=0, runtime "nvidia" (=runc) + a fake nvidia-container-runtime-hook, so
#              --gpus / DeviceRequests{Driver:nvidia} succeed there (NVIDIA_VISIBLE_DEVICES is set, no GPU)
#   registry : docker-registry (distribution 2.8) http://127.0.0.1:5000, no auth
#   auth reg : https://127.0.0.1:5001, htpasswd basic auth, TLS with the same CA
#   ssh      : sshd 127.0.0.1:2222 (key auth, root); its sessions get DOCKER_HOST=<tcp daemon's unix socket>
#   crash    : on demand only, dockerd on unix://STATE/crash/docker.sock with local/busybox:latest, for tests
#              that SIGKILL a daemon mid-run (never the shared ones: others test against them meanwhile)
#   swarm    : three extra dockerd forming a Docker Swarm on loopback (no network namespaces): manager
#              unix://STATE/swarm-m/docker.sock (swarm port 127.0.0.1:2377), workers swarm-w1 (2378) and
#              swarm-w2 (2379); swarm-w2 advertises a fake GPU, the generic resource NVIDIA-GPU=GPU-fake0.
#              Unless DOCKERENV_SWARM=0. Joining makes the host bridge docker_gwbridge: stop deletes it.
#   podman   : Debian's Podman 4.3.1, rootful, `podman system service` on unix://STATE/podman.sock (Docker-compatible
#              API) with its own storage root, run root and containers.conf (CONTAINERS_CONF, never /etc's); its
#              containers use their own bridge (cepodman0, 172.31.254.0/24). Unless DOCKERENV_PODMAN=0.
#              A fake CDI spec /var/run/cdi/container-exec-testbed.yaml (nvidia.com/gpu=0, 1, all: env edits only).
#              Images: the busybox and python ones, as localhost/local/busybox:latest, localhost/local/python:3-bookworm
#   images   : local/busybox:latest (FROM scratch + busybox-static), local/python:3-bookworm (mmdebstrap
#              essential + python3; falls back to a copy of the host's python3 if the mirror is unreachable),
#              local/jupyter:bookworm (mmdebstrap: python3-ipykernel, -jupyter-client, -matplotlib; notebook
#              kernels) on every daemon but the registries' (the crash daemon too, from a cached `docker save`)
# Extra daemons use their own bridge, --iptables=false (a second dockerd with iptables enabled rewrites the
# shared DOCKER-ISOLATION/DOCKER chains and drops the primary's docker0 rules) and never --bridge=none
# (dockerd -b none deletes the interface "docker0", i.e. the primary's bridge).
set -euo pipefail

ROLE=; CMD=start; STATE=${CONTAINER_EXEC_TESTBED:-/tmp/container-exec-testbed}
for a in "$@"; do
  case "$a" in
    start|stop|env|status|purge|stop-daemon|start-daemon|kill-daemon|images) CMD=$a ;;
    tls|tcp|crash|swarm|swarm-m|swarm-w1|swarm-w2) ROLE=$a ;;
    -h|--help) sed -n '2,37p' "$0"; exit 0 ;;
    *) STATE=$a ;;
  esac
done
mkdir -p "$STATE"; STATE=$(cd "$STATE" && pwd -P)
RUN=$STATE/run; mkdir -p "$RUN"

TLS_PORT=${DOCKERENV_TLS_PORT:-23760}
TCP_PORT=${DOCKERENV_TCP_PORT:-23750}
REG_PORT=${DOCKERENV_REGISTRY_PORT:-5000}
AREG_PORT=${DOCKERENV_AUTH_REGISTRY_PORT:-5001}
SSH_PORT=${DOCKERENV_SSH_PORT:-2222}
BLACKHOLE_PORT=${DOCKERENV_BLACKHOLE_PORT:-23799}   # SYNs to 127.0.0.1:$BLACKHOLE_PORT are dropped (deadline tests)
AREG_USER=${DOCKERENV_REGISTRY_USER:-testuser}
AREG_PASS=${DOCKERENV_REGISTRY_PASSWORD:-testpass}
FAKE_GPU=${DOCKERENV_FAKE_GPU:-1}
ENABLE_SSH=${DOCKERENV_SSH:-1}
ENABLE_SWARM=${DOCKERENV_SWARM:-1}
ENABLE_PODMAN=${DOCKERENV_PODMAN:-1}
PODMAN_BR=cepodman0; PODMAN_SUBNET=172.31.254.0/24   # the Podman service's default network (netavark)
SWARM_PORT=${DOCKERENV_SWARM_PORT:-2377}   # manager; the workers listen on the next two ports
SWARM_GPU=NVIDIA-GPU=GPU-fake0             # the fake GPU generic resource of worker swarm-w2
# Debian mirror for mmdebstrap: the first URIs entry of the host's apt sources unless DOCKERENV_MIRROR is set
MIRROR=${DOCKERENV_MIRROR:-$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null)}
[ -n "$MIRROR" ] || MIRROR=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)
PY_METHOD=${DOCKERENV_PYTHON_METHOD:-mmdebstrap}   # mmdebstrap | host
# what the python image holds, as a label: an image made from an older list is rebuilt and reloaded
PY_ROOTFS=python3+debugpy
BUSYBOX_IMAGE=${DOCKERENV_BUSYBOX_IMAGE:-local/busybox:latest}
PYTHON_IMAGE=${DOCKERENV_PYTHON_IMAGE:-local/python:3-bookworm}
# the notebook kernels' image (Debian's ipykernel, jupyter_client, matplotlib); its package list as a label, as above
JUPYTER_ROOTFS=python3+ipykernel+jupyter-client+matplotlib-nodev
JUPYTER_IMAGE=${DOCKERENV_JUPYTER_IMAGE:-local/jupyter:bookworm}
PRIMARY_SOCK=/var/run/docker.sock
# bridge of each extra daemon. NOTE: do not add --default-address-pool to the extra daemons: with it,
# dockerd 20.10 deletes the host's "docker0" (the primary's bridge) when it restarts on an existing data-root.
TLS_BR=dkrenv-tls0; TLS_CIDR=172.31.250.1/24
TCP_BR=dkrenv-tcp0; TCP_CIDR=172.31.251.1/24
CRASH_BR=dkrenv-crash0; CRASH_CIDR=172.31.252.1/24
SWARM_ROLES=(swarm-m swarm-w1 swarm-w2)
declare -A SWARM_BR=([swarm-m]=dkrenv-swm0 [swarm-w1]=dkrenv-sw10 [swarm-w2]=dkrenv-sw20)
declare -A SWARM_CIDR=([swarm-m]=172.30.241.1/24 [swarm-w1]=172.30.242.1/24 [swarm-w2]=172.30.243.1/24)

# never let the caller's environment redirect our own docker calls
unset DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_CONTEXT
export DOCKER_CONFIG=$STATE/docker-config
T0=${EPOCHREALTIME/./}
log() { local t=${EPOCHREALTIME/./}; printf '[testbed %7.2fs] %s\n' "$(( (t - T0) / 10000 ))e-2" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- process bookkeeping (pid + start time)
# starttime PID -> kernel start time of PID (fails for missing or zombie processes)
starttime() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; s=${s##*) }; set -- $s; [ "$1" != Z ] || return 1; echo "${20}"; }
rec_alive() {   # rec_alive NAME -> 0 if the recorded process is still the one we started
  local f=$RUN/$1.pid pid st; [ -s "$f" ] || return 1
  read -r pid st < "$f"; [ -n "${pid:-}" ] && [ "$(starttime "$pid" 2>/dev/null)" = "$st" ]
}
rec_pid() { local pid st; read -r pid st < "$RUN/$1.pid"; echo "$pid"; }
launch() {      # launch NAME LOGFILE CMD... (detached, own session, lock fd closed)
  local name=$1 logf=$2; shift 2
  setsid nohup "$@" > "$logf" 2>&1 < /dev/null 9>&- &
  local pid=$!
  echo "$pid $(starttime "$pid")" > "$RUN/$name.pid"
}
stop_rec() {    # stop_rec NAME [TIMEOUT_S]
  local name=$1 to=${2:-20} pid i
  if ! rec_alive "$name"; then rm -f "$RUN/$name.pid"; return 0; fi
  pid=$(rec_pid "$name"); log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < to * 10; i++)); do rec_alive "$name" || break; sleep 0.1; done
  if rec_alive "$name"; then log "  $name did not exit in ${to}s, SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; sleep 0.3; fi
  rm -f "$RUN/$name.pid"
}
wait_until() {  # wait_until TIMEOUT_S NAME CMD...
  local to=$1 name=$2 i; shift 2
  for ((i = 0; i < to * 20; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    if [ -f "$RUN/$name.pid" ] && ! rec_alive "$name"; then break; fi
    sleep 0.05
  done
  return 1
}
port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
ping_sock() { curl -fsS --max-time 3 --unix-socket "$1" http://d/_ping; }
umount_under() { awk -v p="$1/" 'index($2, p) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done; }

# ---------------------------------------------------------------- packages
ensure_packages() {
  local want=(docker.io iptables iproute2 curl openssl busybox-static docker-registry apache2-utils)
  want+=(python3-ipykernel python3-jupyter-client)   # bench kernel's local baseline (an ipykernel on this machine)
  [ "$ENABLE_SSH" = 1 ] && want+=(openssh-server openssh-client)
  [ "$ENABLE_PODMAN" = 1 ] && want+=(podman netavark catatonit)   # netavark: its bridge networks; catatonit: Init
  [ "$PY_METHOD" = mmdebstrap ] && want+=(mmdebstrap)
  [ $# -eq 0 ] || want=("$@")   # only these
  local missing=() p
  for p in "${want[@]}"; do
    dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && { log "packages: all present"; return 0; }
  log "packages: installing ${missing[*]}"
  local tmp_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then   # do not let postinst scripts start services (docker, ssh, registry)
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; tmp_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 NEEDRESTART_MODE=l
  { apt-get install -y --no-install-recommends "${missing[@]}" || { apt-get update -q && apt-get install -y --no-install-recommends "${missing[@]}"; }; } \
    > "$STATE/apt.log" 2>&1 || { [ -n "$tmp_policy" ] && rm -f /usr/sbin/policy-rc.d; tail -20 "$STATE/apt.log" >&2; die "apt-get failed (log: $STATE/apt.log)"; }
  [ -n "$tmp_policy" ] && rm -f /usr/sbin/policy-rc.d
  log "packages: done"
}

# ---------------------------------------------------------------- certificates
ensure_certs() {
  local c=$STATE/certs
  [ -s "$c/client/key.pem" ] && [ -s "$c/server-cert.pem" ] && [ -s "$c/wrong-ca/ca.pem" ] && return 0
  log "certs: generating CA, server (SAN 127.0.0.1,localhost) and client certs in $c"
  rm -rf "$c"; mkdir -p "$c/client"
  (
    cd "$c"; umask 077
    openssl genrsa -out ca-key.pem 2048 2>/dev/null
    openssl req -x509 -new -key ca-key.pem -sha256 -days 3650 -subj "/CN=dockerenv-test-ca" -out ca.pem
    openssl genrsa -out server-key.pem 2048 2>/dev/null
    openssl req -new -key server-key.pem -subj "/CN=localhost" -out server.csr
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n' > server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 -sha256 -extfile server.ext -out server-cert.pem 2>/dev/null
    openssl genrsa -out client/key.pem 2048 2>/dev/null
    openssl req -new -key client/key.pem -subj "/CN=dockerenv-client" -out client.csr
    printf 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' > client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 -sha256 -extfile client.ext -out client/cert.pem 2>/dev/null
    cp ca.pem client/ca.pem; rm -f ./*.csr ./*.ext
    # a cert folder whose ca.pem is an unrelated CA (the client cert is valid): "wrong CA" tests
    mkdir -p wrong-ca; cp client/cert.pem client/key.pem wrong-ca/
    openssl req -x509 -newkey rsa:2048 -nodes -keyout wrong-ca/ca-key.pem -sha256 -days 3650 -subj "/CN=unrelated-ca" -out wrong-ca/ca.pem 2>/dev/null
    rm -f wrong-ca/ca-key.pem
    chmod 644 ca.pem server-cert.pem client/ca.pem client/cert.pem wrong-ca/ca.pem wrong-ca/cert.pem
  )
}

# ---------------------------------------------------------------- docker daemons
ensure_primary() {
  if ping_sock "$PRIMARY_SOCK" >/dev/null 2>&1; then log "primary: answering on $PRIMARY_SOCK (not ours)"; return 0; fi
  if rec_alive primary; then
    wait_until 60 primary ping_sock "$PRIMARY_SOCK" || die "primary dockerd (ours) not answering, see $STATE/primary/dockerd.log"
    return 0
  fi
  if [ -s /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then   # someone else's daemon may still be starting
    wait_until 10 none ping_sock "$PRIMARY_SOCK" && { log "primary: came up (not ours)"; return 0; }
  fi
  log "primary: nothing answers on $PRIMARY_SOCK, starting dockerd"
  mkdir -p "$STATE/primary"
  launch primary "$STATE/primary/dockerd.log" dockerd -H "unix://$PRIMARY_SOCK"
  wait_until 60 primary ping_sock "$PRIMARY_SOCK" || { tail -20 "$STATE/primary/dockerd.log" >&2; die "primary dockerd failed"; }
  log "primary: ready (pid $(rec_pid primary))"
}

ensure_bridge() {   # ensure_bridge NAME CIDR
  ip link show "$1" >/dev/null 2>&1 && return 0
  ip link add "$1" type bridge && ip addr add "$2" dev "$1" && ip link set "$1" up
  grep -qx "$1" "$RUN/bridges" 2>/dev/null || echo "$1" >> "$RUN/bridges"
}

start_extra_daemon() {   # start_extra_daemon ROLE BRIDGE CIDR -- EXTRA_DOCKERD_ARGS...
  local role=$1 br=$2 cidr=$3; shift 4
  local d=$STATE/$role
  if rec_alive "dockerd-$role"; then
    wait_until 60 "dockerd-$role" ping_sock "$d/docker.sock" || die "dockerd-$role (pid $(rec_pid "dockerd-$role")) not answering"
    log "dockerd-$role: already running (pid $(rec_pid "dockerd-$role"))"; return 0
  fi
  umount_under "$d/exec"; rm -f "$d/docker.pid" "$d/docker.sock"
  mkdir -p "$d"; [ -s "$d/daemon.json" ] || echo '{}' > "$d/daemon.json"   # never read /etc/docker/daemon.json
  ensure_bridge "$br" "$cidr"
  local envpath=$PATH
  if [ "$role" = tcp ] && [ "$FAKE_GPU" = 1 ]; then envpath=$d/bin:$PATH; fi
  launch "dockerd-$role" "$d/dockerd.log" env PATH="$envpath" dockerd \
    --config-file "$d/daemon.json" --data-root "$d/data" --exec-root "$d/exec" --pidfile "$d/docker.pid" \
    -H "unix://$d/docker.sock" -b "$br" --iptables=false --ip-masq=false --shutdown-timeout 5 \
    --label "dockerenv.role=$role" --label "dockerenv.state=$STATE" "$@"
  wait_until 60 "dockerd-$role" ping_sock "$d/docker.sock" || { tail -20 "$d/dockerd.log" >&2; die "dockerd-$role failed to start"; }
  log "dockerd-$role: ready (pid $(rec_pid "dockerd-$role"))"
  if [ -n "$had_docker0" ] && ! ip link show docker0 >/dev/null 2>&1; then
    log "WARNING: interface docker0 vanished while dockerd-$role started (primary daemon's bridge!)"
  fi
}

ensure_extra_daemons() {
  local c=$STATE/certs runc had_docker0=; runc=$(command -v runc || echo /usr/sbin/runc)
  ip link show docker0 >/dev/null 2>&1 && had_docker0=1
  port_busy "$TLS_PORT" && ! rec_alive dockerd-tls && die "port $TLS_PORT busy (not ours)"
  port_busy "$TCP_PORT" && ! rec_alive dockerd-tcp && die "port $TCP_PORT busy (not ours)"
  start_extra_daemon tls "$TLS_BR" "$TLS_CIDR" -- \
    -H "tcp://127.0.0.1:$TLS_PORT" --tlsverify --tlscacert "$c/ca.pem" --tlscert "$c/server-cert.pem" --tlskey "$c/server-key.pem"
  local gpu=()
  if [ "$FAKE_GPU" = 1 ]; then
    mkdir -p "$STATE/tcp/bin"
    printf '#!/bin/sh\n# fake NVIDIA OCI prestart hook for tests: log and accept\necho "$(date +%%s) $*" >> %s/tcp/nvidia-hook.log\ncat >/dev/null\nexit 0\n' "$STATE" \
      > "$STATE/tcp/bin/nvidia-container-runtime-hook"
    chmod 755 "$STATE/tcp/bin/nvidia-container-runtime-hook"
    gpu=(--add-runtime "nvidia=$runc")
  fi
  start_extra_daemon tcp "$TCP_BR" "$TCP_CIDR" -- \
    -H "tcp://127.0.0.1:$TCP_PORT" --add-runtime "fake=$runc" "${gpu[@]}"
}

# the throwaway daemon that tests SIGKILL. dockerd's containerd dies with it (parent-death signal), the
# containerd-shims and their containers live on, as after a real crash; the next dockerd starts a new
# containerd, which finds the shims, and (no live-restore) stops the containers that were running: they
# stay, exited, to be found and removed by their labels. Measured here: kill 0.2 s, restart 1.8 s.
start_crash_daemon() {
  local had_docker0= cpid; ip link show docker0 >/dev/null 2>&1 && had_docker0=1
  # a containerd pid file naming a dead or zombie process (see kill_crash_daemon) would block the start
  cpid=$(cat "$STATE/crash/exec/containerd/containerd.pid" 2>/dev/null || true)
  if ! rec_alive dockerd-crash && [ -n "$cpid" ] && ! starttime "$cpid" >/dev/null 2>&1; then rm -f "$STATE/crash/exec/containerd/containerd.pid"; fi
  start_extra_daemon crash "$CRASH_BR" "$CRASH_CIDR" --
  local C=(docker -H "unix://$STATE/crash/docker.sock")
  if ! "${C[@]}" image inspect "$BUSYBOX_IMAGE" >/dev/null 2>&1; then
    log "images: loading $BUSYBOX_IMAGE into dockerd-crash"
    docker -H "unix://$PRIMARY_SOCK" save "$BUSYBOX_IMAGE" | "${C[@]}" load -q >/dev/null || die "loading $BUSYBOX_IMAGE into dockerd-crash failed"
  fi
  # the kernel's daemon-lost test runs a notebook kernel here (kept across restarts: its data-root stays)
  if [ -s "$STATE/cache/jupyter-image.tar" ]; then load_jupyter_image crash || die "loading $JUPYTER_IMAGE into dockerd-crash failed"; fi
}
kill_crash_daemon() {
  rec_alive dockerd-crash || { log "dockerd-crash: not running"; return 0; }
  local pid i cpid cst; pid=$(rec_pid dockerd-crash); log "dockerd-crash: SIGKILL (pid $pid)"
  cpid=$(cat "$STATE/crash/exec/containerd/containerd.pid" 2>/dev/null || true); cst=$( [ -n "$cpid" ] && starttime "$cpid" || true)
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do rec_alive dockerd-crash || break; sleep 0.05; done
  rec_alive dockerd-crash && die "dockerd-crash (pid $pid) survived SIGKILL"
  rm -f "$RUN/dockerd-crash.pid"
  # its containerd gets SIGKILL too (parent-death signal) and lingers a moment as a zombie, which its pid
  # file still names: a next dockerd would take it for a live containerd, wait for it to answer, and give
  # up ("timeout waiting for containerd to start"). Once it is gone, the file goes: the next one starts afresh.
  if [ -n "$cst" ]; then
    for ((i = 0; i < 100; i++)); do [ "$(starttime "$cpid" 2>/dev/null)" = "$cst" ] || break; sleep 0.05; done
    [ "$(starttime "$cpid" 2>/dev/null)" = "$cst" ] && { log "dockerd-crash: its containerd $cpid lingers, SIGKILL"; kill -KILL "$cpid" 2>/dev/null || true; }
  fi
  rm -f "$STATE/crash/exec/containerd/containerd.pid"
}
# the shims a killed dockerd-crash left: a daemon started once more stops their containers, then all stop together
crash_orphans_alive() { pgrep -f -- "-address $STATE/crash/exec/containerd/containerd.sock" >/dev/null 2>&1; }

# ---------------------------------------------------------------- swarm (three extra daemons on loopback)
swarm_cli() { local role=$1; shift; docker -H "unix://$STATE/$role/docker.sock" "$@"; }
swarm_node_state() { swarm_cli "$1" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null; }
swarm_settled() { local st; st=$(swarm_node_state "$1"); [ "$st" = active ] || [ "$st" = inactive ]; }
swarm_all_ready() { [ "$(swarm_cli swarm-m node ls --format '{{.Status}} {{.Availability}}' 2>/dev/null | grep -c '^Ready Active')" -ge 3 ]; }
ensure_swarm() {
  [ "$ENABLE_SWARM" = 1 ] || return 0
  local had_docker0= had_gw= i=0 role port st
  ip link show docker0 >/dev/null 2>&1 && had_docker0=1
  ip link show docker_gwbridge >/dev/null 2>&1 && had_gw=1
  for role in "${SWARM_ROLES[@]}"; do
    port=$((SWARM_PORT + i)); i=$((i + 1))
    port_busy "$port" && ! rec_alive "dockerd-$role" && die "port $port busy (not ours)"
    local extra=(); [ "$role" = swarm-w2 ] && extra=(--node-generic-resource "$SWARM_GPU")
    start_extra_daemon "$role" "${SWARM_BR[$role]}" "${SWARM_CIDR[$role]}" -- "${extra[@]}"
  done
  # a restarted node rejoins by itself (its swarm state is in its data-root): let it settle before deciding
  for role in "${SWARM_ROLES[@]}"; do wait_until 20 "dockerd-$role" swarm_settled "$role" || true; done
  st=$(swarm_node_state swarm-m)
  if [ "$st" != active ]; then
    [ "$st" = inactive ] || swarm_cli swarm-m swarm leave --force >/dev/null 2>&1 || true
    log "swarm: init on 127.0.0.1:$SWARM_PORT"
    swarm_cli swarm-m swarm init --listen-addr "127.0.0.1:$SWARM_PORT" --advertise-addr "127.0.0.1:$SWARM_PORT" >/dev/null \
      || die "swarm init failed, see $STATE/swarm-m/dockerd.log"
  fi
  local token known id; token=$(swarm_cli swarm-m swarm join-token -q worker); known=$(swarm_cli swarm-m node ls -q)
  i=1
  for role in swarm-w1 swarm-w2; do
    port=$((SWARM_PORT + i)); i=$((i + 1))
    id=$(swarm_cli "$role" info --format '{{.Swarm.NodeID}}' 2>/dev/null || true)
    if [ "$(swarm_node_state "$role")" = active ] && [ -n "$id" ] && grep -qx "$id" <<< "$known"; then continue; fi
    swarm_cli "$role" swarm leave --force >/dev/null 2>&1 || true
    log "swarm: $role joins on 127.0.0.1:$port"
    swarm_cli "$role" swarm join --token "$token" --listen-addr "127.0.0.1:$port" --advertise-addr "127.0.0.1:$port" "127.0.0.1:$SWARM_PORT" >/dev/null \
      || die "$role could not join the swarm, see $STATE/$role/dockerd.log"
  done
  # nodes of an earlier swarm life (a worker that left and joined again) stay listed as Down
  local down; down=$(swarm_cli swarm-m node ls --format '{{.ID}} {{.Status}}' | awk '$2 == "Down" {print $1}')
  [ -z "$down" ] || swarm_cli swarm-m node rm --force $down >/dev/null 2>&1 || true
  wait_until 30 dockerd-swarm-m swarm_all_ready || die "the swarm's three nodes are not all Ready: $(swarm_cli swarm-m node ls 2>&1)"
  for role in "${SWARM_ROLES[@]}"; do
    id=$(swarm_cli "$role" info --format '{{.Swarm.NodeID}}')
    swarm_cli swarm-m node update --label-add "dockerenv.role=$role" "$id" >/dev/null
  done
  if [ -z "$had_gw" ] && ip link show docker_gwbridge >/dev/null 2>&1; then grep -qx docker_gwbridge "$RUN/bridges" 2>/dev/null || echo docker_gwbridge >> "$RUN/bridges"; fi
  log "swarm: 3 nodes ready (manager 127.0.0.1:$SWARM_PORT)"
}

# ---------------------------------------------------------------- registries
ensure_registries() {
  local r=$STATE/registry a=$STATE/registry-auth c=$STATE/certs
  mkdir -p "$r/data" "$a/data"
  cat > "$r/config.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $r/data}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$REG_PORT
  headers: {X-Content-Type-Options: [nosniff]}
EOF
  [ -s "$a/htpasswd" ] || htpasswd -Bbn "$AREG_USER" "$AREG_PASS" > "$a/htpasswd"
  cat > "$a/config.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $a/data}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$AREG_PORT
  tls: {certificate: $c/server-cert.pem, key: $c/server-key.pem}
auth:
  htpasswd: {realm: dockerenv-registry, path: $a/htpasswd}
EOF
  if ! rec_alive registry; then
    port_busy "$REG_PORT" && die "port $REG_PORT busy (not ours)"
    launch registry "$r/registry.log" docker-registry serve "$r/config.yml"
  fi
  if ! rec_alive registry-auth; then
    port_busy "$AREG_PORT" && die "port $AREG_PORT busy (not ours)"
    launch registry-auth "$a/registry.log" docker-registry serve "$a/config.yml"
  fi
  wait_until 20 registry curl -fsS "http://127.0.0.1:$REG_PORT/v2/" || die "registry failed, see $r/registry.log"
  wait_until 20 registry-auth sh -c "[ \"\$(curl -sS --cacert '$c/ca.pem' -o /dev/null -w '%{http_code}' https://127.0.0.1:$AREG_PORT/v2/)\" = 401 ]" \
    || die "auth registry failed, see $a/registry.log"
  log "registries: ready (pids $(rec_pid registry), $(rec_pid registry-auth))"
}

# ---------------------------------------------------------------- sshd
ensure_sshd() {
  [ "$ENABLE_SSH" = 1 ] || return 0
  local s=$STATE/ssh; mkdir -p "$s/bin"
  [ -s "$s/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C dockerenv-host -f "$s/host_ed25519"
  [ -s "$s/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C dockerenv-client -f "$s/id_ed25519"
  install -m 600 "$s/id_ed25519.pub" "$s/authorized_keys"
  cat > "$s/sshd_config" <<EOF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $s/host_ed25519
PidFile $s/sshd.pid
AuthorizedKeysFile $s/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowStreamLocalForwarding yes
SetEnv DOCKER_HOST=unix://$STATE/tcp/docker.sock
EOF
  echo "[127.0.0.1]:$SSH_PORT $(cat "$s/host_ed25519.pub")" > "$s/known_hosts"
  echo "[localhost]:$SSH_PORT $(cat "$s/host_ed25519.pub")" >> "$s/known_hosts"
  cat > "$s/ssh_config" <<EOF
Host 127.0.0.1 localhost
  IdentityFile $s/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $s/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
EOF
  printf '#!/bin/sh\nexec /usr/bin/ssh -F %s/ssh_config "$@"\n' "$s" > "$s/bin/ssh"; chmod 755 "$s/bin/ssh"
  if ! rec_alive sshd; then
    port_busy "$SSH_PORT" && die "port $SSH_PORT busy (not ours)"
    mkdir -p /run/sshd; chmod 755 /run/sshd
    /usr/sbin/sshd -t -f "$s/sshd_config" || die "sshd config test failed"
    launch sshd "$s/sshd.log" /usr/sbin/sshd -D -e -f "$s/sshd_config"
  fi
  wait_until 20 sshd port_busy "$SSH_PORT" || die "sshd failed, see $s/sshd.log"
  log "sshd: ready on 127.0.0.1:$SSH_PORT (pid $(rec_pid sshd))"
}

# ---------------------------------------------------------------- images
build_busybox_tar() {   # -> stdout
  local t; t=$(mktemp -d); mkdir -p "$t/bin" "$t/tmp" "$t/etc"; chmod 1777 "$t/tmp"
  cp /bin/busybox "$t/bin/busybox"
  for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$t/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$t/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$t/etc/group"
  tar -C "$t" -c . ; rm -rf "$t"
}
build_python_rootfs_mmdebstrap() {   # $1 = output tar
  mmdebstrap --quiet --format=tar --variant=essential --include=python3,python3-debugpy \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --aptopt='Apt::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/gconv/*' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/*.log "$1"/usr/share/zoneinfo/right "$1"/usr/share/zoneinfo/posix' \
    bookworm "$1" "$MIRROR" > "$STATE/cache/mmdebstrap.log" 2>&1
}
build_python_rootfs_host() {   # $1 = output tar; copies the host's python3 + stdlib + shared libs (no network)
  local t py stdlib; t=$(mktemp -d)
  py=$(readlink -f "$(command -v python3)"); stdlib=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
  mkdir -p "$t/bin" "$t/usr/bin" "$t/tmp" "$t/etc" "$t/root" "$t/lib64"; chmod 1777 "$t/tmp"
  cp /bin/busybox "$t/bin/busybox"; for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$t/bin/$a"; done
  cp "$py" "$t/usr/bin/"; ln -s "$(basename "$py")" "$t/usr/bin/python3"
  # debugpy (Debug Recipe) when the host has it; without it the image just cannot debug
  local dbg; dbg=$(python3 -c 'import debugpy, os; print(os.path.dirname(debugpy.__file__))' 2>/dev/null) \
    && { mkdir -p "$t/usr/lib/python3/dist-packages"; cp -r "$dbg" "$t/usr/lib/python3/dist-packages/"; }
  (cd / && tar -c --exclude=__pycache__ --exclude="${stdlib#/}/test" --exclude="${stdlib#/}/idlelib" \
     --exclude="${stdlib#/}/tkinter" --exclude="${stdlib#/}/turtledemo" --exclude="${stdlib#/}/lib-dynload/_test*" "${stdlib#/}") | tar -C "$t" -x
  { ldd "$py"; for so in "$stdlib"/lib-dynload/*.so; do ldd "$so"; done; } 2>/dev/null \
    | awk '/=> \//{print $3} /^[[:space:]]*\/lib64/{print $1}' | sort -u | while read -r lib; do
        mkdir -p "$t$(dirname "$lib")"; cp -n "$(readlink -f "$lib")" "$t$lib"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$t/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$t/etc/group"
  tar -C "$t" -cf "$1" . ; rm -rf "$t"
}
# the compilers, headers and test suites its dependencies drag in (scipy -> pythran -> g++, boost; debugpy -> gdb)
# are ~1/3 of the image: deleted after the install (dpkg path-excludes break their postinst scripts)
build_jupyter_rootfs_mmdebstrap() {   # $1 = output tar (no host fallback: kernels need Debian's packages)
  mmdebstrap --quiet --format=tar --variant=essential --include=python3,python3-ipykernel,python3-jupyter-client,python3-matplotlib \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --aptopt='Apt::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --customize-hook='rm -rf "$1"/usr/include "$1"/usr/lib/gcc "$1"/usr/libexec/gcc "$1"/usr/bin/x86_64-linux-gnu-lto-dump-* "$1"/usr/bin/gdb* "$1"/usr/share/unicode "$1"/usr/lib/x86_64-linux-gnu/*.a "$1"/usr/lib/python3.*/config-*/*.a "$1"/usr/lib/x86_64-linux-gnu/lib[alt]san.so* "$1"/usr/lib/x86_64-linux-gnu/libubsan.so*; find "$1"/usr/lib/python3/dist-packages -depth -type d -name tests -exec rm -rf {} +' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/*.log "$1"/usr/share/zoneinfo/right "$1"/usr/share/zoneinfo/posix' \
    bookworm "$1" "$MIRROR" > "$STATE/cache/mmdebstrap-jupyter.log" 2>&1
}
jupyter_image_current() {   # "$@" = docker -H ...
  [ "$("$@" image inspect -f '{{index .Config.Labels "container-exec.testbed.rootfs"}}' "$JUPYTER_IMAGE" 2>/dev/null)" = "$JUPYTER_ROOTFS" ]
}
ensure_jupyter_image() {   # on the primary, then saved once to a cached tar the other daemons load
  local P=(docker -H "unix://$PRIMARY_SOCK") tarf=$STATE/cache/jupyter-rootfs-$JUPYTER_ROOTFS.tar
  if ! jupyter_image_current "${P[@]}"; then
    if [ ! -s "$tarf" ]; then
      log "images: building Debian bookworm rootfs with ipykernel and matplotlib via mmdebstrap (~3 min)"
      build_jupyter_rootfs_mmdebstrap "$tarf.tmp" && mv "$tarf.tmp" "$tarf" \
        || { rm -f "$tarf.tmp"; die "mmdebstrap failed for $JUPYTER_IMAGE (see $STATE/cache/mmdebstrap-jupyter.log)"; }
    fi
    log "images: importing $JUPYTER_IMAGE"
    "${P[@]}" import -c 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c "LABEL container-exec.testbed.rootfs=$JUPYTER_ROOTFS" -c 'CMD ["python3"]' "$tarf" "$JUPYTER_IMAGE" >/dev/null
    rm -f "$STATE/cache/jupyter-image.tar"
  fi
  [ -s "$STATE/cache/jupyter-image.tar" ] || { "${P[@]}" save -o "$STATE/cache/jupyter-image.tar.tmp" "$JUPYTER_IMAGE" && mv "$STATE/cache/jupyter-image.tar.tmp" "$STATE/cache/jupyter-image.tar"; }
}
load_jupyter_image() {   # $1 = role; from the cached save (one save for every daemon)
  jupyter_image_current docker -H "unix://$STATE/$1/docker.sock" && return 0
  log "images: loading $JUPYTER_IMAGE into dockerd-$1"
  docker -H "unix://$STATE/$1/docker.sock" load -q -i "$STATE/cache/jupyter-image.tar" >/dev/null
}
python_image_current() {   # "$@" = docker -H ...; the python image exists and holds today's package list
  [ "$("$@" image inspect -f '{{index .Config.Labels "container-exec.testbed.rootfs"}}' "$PYTHON_IMAGE" 2>/dev/null)" = "$PY_ROOTFS" ]
}
ensure_primary_images() {
  local P=(docker -H "unix://$PRIMARY_SOCK")
  mkdir -p "$STATE/cache"
  if ! "${P[@]}" image inspect "$BUSYBOX_IMAGE" >/dev/null 2>&1; then
    log "images: importing $BUSYBOX_IMAGE (FROM scratch, busybox-static)"
    build_busybox_tar | "${P[@]}" import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' - "$BUSYBOX_IMAGE" >/dev/null
  fi
  if ! python_image_current "${P[@]}"; then
    local tarf=$STATE/cache/python-rootfs-$PY_ROOTFS.tar
    if [ ! -s "$tarf" ]; then
      if [ "$PY_METHOD" = mmdebstrap ]; then
        log "images: building Debian bookworm rootfs with python3 via mmdebstrap (~30s)"
        build_python_rootfs_mmdebstrap "$tarf.tmp" && mv "$tarf.tmp" "$tarf" \
          || { log "images: mmdebstrap failed (see $STATE/cache/mmdebstrap.log), falling back to host python copy"; rm -f "$tarf.tmp"; }
      fi
      [ -s "$tarf" ] || { log "images: building python rootfs from host files"; build_python_rootfs_host "$tarf.tmp" && mv "$tarf.tmp" "$tarf"; }
    fi
    log "images: importing $PYTHON_IMAGE"
    "${P[@]}" import -c 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c "LABEL container-exec.testbed.rootfs=$PY_ROOTFS" -c 'CMD ["python3"]' "$tarf" "$PYTHON_IMAGE" >/dev/null
  fi
}
ensure_images() {
  local P=(docker -H "unix://$PRIMARY_SOCK")
  ensure_primary_images
  ensure_jupyter_image
  # copy the images into the extra daemons (save|load keeps the image IDs) and seed the registries
  # (pushed from the tcp daemon, so the primary gets no extra tags); independent jobs run in parallel
  local pids=() role img repo T=(docker -H "unix://$STATE/tcp/docker.sock") roles=(tls tcp)
  [ "$ENABLE_SWARM" = 1 ] && roles+=("${SWARM_ROLES[@]}")
  for role in "${roles[@]}"; do
    (
      for img in "$BUSYBOX_IMAGE" "$PYTHON_IMAGE"; do
        if [ "$img" = "$PYTHON_IMAGE" ]; then python_image_current docker -H "unix://$STATE/$role/docker.sock" && continue
        else docker -H "unix://$STATE/$role/docker.sock" image inspect "$img" >/dev/null 2>&1 && continue; fi
        log "images: loading $img into dockerd-$role"
        "${P[@]}" save "$img" | docker -H "unix://$STATE/$role/docker.sock" load -q >/dev/null
      done
      load_jupyter_image "$role"
    ) & pids+=($!)
  done
  wait "${pids[1]}" || die "loading images into dockerd-tcp failed"   # pushes below need them there
  for img in "$BUSYBOX_IMAGE" "$PYTHON_IMAGE"; do
    repo=${img#*/}   # local/busybox:latest -> busybox:latest
    curl -fsS -o /dev/null -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
      "http://127.0.0.1:$REG_PORT/v2/${repo%%:*}/manifests/${repo##*:}" 2>/dev/null && continue
    (
      log "images: pushing 127.0.0.1:$REG_PORT/$repo"
      "${T[@]}" tag "$img" "127.0.0.1:$REG_PORT/$repo" && "${T[@]}" push -q "127.0.0.1:$REG_PORT/$repo" >/dev/null
    ) & pids+=($!)
  done
  if ! curl -fsS -o /dev/null --cacert "$STATE/certs/ca.pem" -u "$AREG_USER:$AREG_PASS" \
       -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "https://127.0.0.1:$AREG_PORT/v2/private/busybox/manifests/latest" 2>/dev/null; then
    (
      log "images: pushing 127.0.0.1:$AREG_PORT/private/busybox:latest (authenticated)"
      echo "$AREG_PASS" | "${T[@]}" login -u "$AREG_USER" --password-stdin "127.0.0.1:$AREG_PORT" >/dev/null 2>&1 &&
      "${T[@]}" tag "$BUSYBOX_IMAGE" "127.0.0.1:$AREG_PORT/private/busybox:latest" &&
      "${T[@]}" push -q "127.0.0.1:$AREG_PORT/private/busybox:latest" >/dev/null
    ) & pids+=($!)
  fi
  local p rc=0
  for p in "${pids[@]}"; do [ "$p" = "${pids[1]}" ] && continue; wait "$p" || rc=1; done
  [ $rc -eq 0 ] || die "loading/pushing images failed"
}

# ---------------------------------------------------------------- podman (rootful service on its own socket)
# Everything in STATE/podman: containers.conf (CONTAINERS_CONF), storage.conf, registries.conf, its default
# network's definition (own bridge and subnet), storage and run roots; the machine's /etc/containers is never read.
# The sandbox refuses Podman's default container rlimits ("error setting rlimit type 7/6: operation not
# permitted"): default_ulimits below the hard limits (ulimit -Hn 20000) make containers start.
PODMAN_SOCK=$STATE/podman.sock
PODMAN_BUSYBOX_IMAGE=localhost/$BUSYBOX_IMAGE
PODMAN_PYTHON_IMAGE=localhost/$PYTHON_IMAGE
write_podman_conf() {
  local d=$STATE/podman; mkdir -p "$d/root" "$d/runroot" "$d/tmp" "$d/networks"
  cat > "$d/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
init_path = "/usr/bin/catatonit"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$d/events.log"
runtime = "runc"
tmp_dir = "$d/tmp"
[network]
network_backend = "netavark"
network_config_dir = "$d/networks"
default_network = "podman"
EOF
  cat > "$d/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$d/root"
runroot = "$d/runroot"
EOF
  cat > "$d/registries.conf" <<EOF
unqualified-search-registries = []
short-name-mode = "permissive"
[[registry]]
location = "127.0.0.1:$REG_PORT"
insecure = true
EOF
  cat > "$d/networks/podman.json" <<EOF
{"name": "podman", "id": "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9", "driver": "bridge",
 "network_interface": "$PODMAN_BR", "created": "2026-01-01T00:00:00Z",
 "subnets": [{"subnet": "$PODMAN_SUBNET", "gateway": "${PODMAN_SUBNET%.*}.1"}],
 "ipv6_enabled": false, "internal": false, "dns_enabled": false, "ipam_options": {"driver": "host-local"}}
EOF
}
ensure_podman() {
  [ "$ENABLE_PODMAN" = 1 ] || return 0
  local d=$STATE/podman had_docker0=; ip link show docker0 >/dev/null 2>&1 && had_docker0=1
  if ! rec_alive podman; then
    write_podman_conf; rm -f "$PODMAN_SOCK"
    # conmon writes an "oom" file into its working directory: the service runs from its own folder
    launch podman "$d/service.log" env -C "$d" CONTAINERS_CONF="$d/containers.conf" CONTAINERS_STORAGE_CONF="$d/storage.conf" \
      CONTAINERS_REGISTRIES_CONF="$d/registries.conf" podman --root "$d/root" --runroot "$d/runroot" system service --time=0 "unix://$PODMAN_SOCK"
  fi
  wait_until 60 podman ping_sock "$PODMAN_SOCK" || { tail -20 "$d/service.log" >&2; die "podman service failed to start"; }
  grep -qx "$PODMAN_BR" "$RUN/bridges" 2>/dev/null || echo "$PODMAN_BR" >> "$RUN/bridges"
  log "podman: ready (pid $(rec_pid podman), $(docker -H "unix://$PODMAN_SOCK" version -f '{{.Server.Version}}' 2>/dev/null))"
  if [ -n "$had_docker0" ] && ! ip link show docker0 >/dev/null 2>&1; then log "WARNING: interface docker0 vanished while podman started"; fi
}
podman_images() {   # the busybox and python images, from the primary (docker save | load through the compat API)
  [ "$ENABLE_PODMAN" = 1 ] || return 0
  local P=(docker -H "unix://$PRIMARY_SOCK") M=(docker -H "unix://$PODMAN_SOCK") img
  for img in "$BUSYBOX_IMAGE" "$PYTHON_IMAGE"; do
    if [ "$img" = "$PYTHON_IMAGE" ]; then python_image_current "${M[@]}" && continue
    else "${M[@]}" image inspect "localhost/$img" >/dev/null 2>&1 && continue; fi
    log "images: loading $img into podman (as localhost/$img)"
    "${P[@]}" save "$img" | "${M[@]}" load -q >/dev/null || die "loading $img into podman failed"
  done
}
# A fake CDI spec (Podman 4.3 reads /etc/cdi and /var/run/cdi only, at each container start): GPUs 0, 1 and
# all of kind nvidia.com/gpu whose edits are env vars (no device node), so a run's CDI devices show inside.
# The file is this script's alone (named for it); stop and purge remove it.
PODMAN_CDI_SPEC=/var/run/cdi/container-exec-testbed.yaml
write_cdi_spec() {
  [ "$ENABLE_PODMAN" = 1 ] || return 0
  mkdir -p "${PODMAN_CDI_SPEC%/*}"
  cat > "$PODMAN_CDI_SPEC.tmp" <<'EOF'
cdiVersion: "0.5.0"
kind: nvidia.com/gpu
devices:
  - name: "0"
    containerEdits: { env: ["CONTAINER_EXEC_FAKE_GPU0=1"] }
  - name: "1"
    containerEdits: { env: ["CONTAINER_EXEC_FAKE_GPU1=1"] }
  - name: all
    containerEdits: { env: ["CONTAINER_EXEC_FAKE_GPU0=1", "CONTAINER_EXEC_FAKE_GPU1=1", "CONTAINER_EXEC_FAKE_GPU_ALL=1"] }
EOF
  mv "$PODMAN_CDI_SPEC.tmp" "$PODMAN_CDI_SPEC"
}
stop_podman() {   # stops the service and the containers it runs (conmon keeps them alive without it)
  rec_alive podman || return 0
  local M=(docker -H "unix://$PODMAN_SOCK") ids; ids=$("${M[@]}" ps -q 2>/dev/null || true)
  [ -z "$ids" ] || "${M[@]}" stop -t 2 $ids >/dev/null 2>&1 || true
  stop_rec podman 20; umount_under "$STATE/podman"; rm -f "$PODMAN_SOCK"
}
remove_cdi_spec() { rm -f "$PODMAN_CDI_SPEC"; rmdir "${PODMAN_CDI_SPEC%/*}" 2>/dev/null || true; }

# ---------------------------------------------------------------- blackhole (a silent address on loopback)
BLACKHOLE_RULE=(INPUT -i lo -p tcp -d 127.0.0.1 --dport "$BLACKHOLE_PORT" -m comment --comment container-exec-testbed -j DROP)
ensure_blackhole() {
  iptables -C "${BLACKHOLE_RULE[@]}" 2>/dev/null || { iptables -I "${BLACKHOLE_RULE[@]}"; touch "$RUN/blackhole"; }
  log "blackhole: SYNs to 127.0.0.1:$BLACKHOLE_PORT are dropped"
}
stop_blackhole() { [ -e "$RUN/blackhole" ] || return 0; iptables -D "${BLACKHOLE_RULE[@]}" 2>/dev/null || true; rm -f "$RUN/blackhole"; }

# ---------------------------------------------------------------- output
print_env() {
  cat <<EOF
DOCKERENV_STATE=$STATE
DOCKER_LOCAL_HOST=unix://$PRIMARY_SOCK
DOCKER_TLS_HOST=tcp://127.0.0.1:$TLS_PORT
DOCKER_TLS_CERT_PATH=$STATE/certs/client
DOCKER_TLS_CA=$STATE/certs/client/ca.pem
DOCKER_TLS_CERT=$STATE/certs/client/cert.pem
DOCKER_TLS_KEY=$STATE/certs/client/key.pem
DOCKER_TLS_WRONG_CA_CERT_PATH=$STATE/certs/wrong-ca
DOCKER_TLS_CA_KEY=$STATE/certs/ca-key.pem
DOCKER_TLS_SOCK=unix://$STATE/tls/docker.sock
DOCKER_TCP_HOST=tcp://127.0.0.1:$TCP_PORT
DOCKER_TCP_SOCK=unix://$STATE/tcp/docker.sock
DOCKER_FAKE_RUNTIME=fake
DOCKER_FAKE_RUNTIME_HOST=tcp://127.0.0.1:$TCP_PORT
DOCKER_FAKE_GPU_HOST=$([ "$FAKE_GPU" = 1 ] && echo "tcp://127.0.0.1:$TCP_PORT")
DOCKER_BLACKHOLE_HOST=tcp://127.0.0.1:$BLACKHOLE_PORT
DOCKER_REGISTRY=127.0.0.1:$REG_PORT
DOCKER_AUTH_REGISTRY=127.0.0.1:$AREG_PORT
DOCKER_AUTH_REGISTRY_USER=$AREG_USER
DOCKER_AUTH_REGISTRY_PASSWORD=$AREG_PASS
DOCKER_AUTH_REGISTRY_CA=$STATE/certs/ca.pem
DOCKERENV_DOCKER_CONFIG=$STATE/docker-config
BUSYBOX_IMAGE=$BUSYBOX_IMAGE
PYTHON_IMAGE=$PYTHON_IMAGE
JUPYTER_IMAGE=$JUPYTER_IMAGE
EOF
  if [ "$ENABLE_SWARM" = 1 ]; then cat <<EOF
DOCKER_SWARM_MANAGER_HOST=unix://$STATE/swarm-m/docker.sock
DOCKER_SWARM_WORKER1_HOST=unix://$STATE/swarm-w1/docker.sock
DOCKER_SWARM_WORKER2_HOST=unix://$STATE/swarm-w2/docker.sock
DOCKER_SWARM_GPU_HOST=unix://$STATE/swarm-w2/docker.sock
DOCKER_SWARM_GPU_RESOURCE=${SWARM_GPU%%=*}
EOF
  fi
  if [ "$ENABLE_PODMAN" = 1 ]; then cat <<EOF
PODMAN_HOST=unix://$PODMAN_SOCK
PODMAN_BUSYBOX_IMAGE=$PODMAN_BUSYBOX_IMAGE
PODMAN_PYTHON_IMAGE=$PODMAN_PYTHON_IMAGE
PODMAN_CDI_SPEC=$PODMAN_CDI_SPEC
EOF
  fi
  if [ "$ENABLE_SSH" = 1 ]; then cat <<EOF
DOCKER_SSH_HOST=ssh://root@127.0.0.1:$SSH_PORT
DOCKER_SSH_KEY=$STATE/ssh/id_ed25519
DOCKER_SSH_CONFIG=$STATE/ssh/ssh_config
DOCKER_SSH_KNOWN_HOSTS=$STATE/ssh/known_hosts
DOCKER_SSH_PATH_PREFIX=$STATE/ssh/bin
EOF
  fi
}

status() {
  local n
  for n in primary dockerd-tls dockerd-tcp dockerd-crash dockerd-swarm-m dockerd-swarm-w1 dockerd-swarm-w2 registry registry-auth sshd podman; do
    if rec_alive "$n"; then echo "$n: running (pid $(rec_pid "$n"), started by this script)"
    elif [ "$n" = primary ] && ping_sock "$PRIMARY_SOCK" >/dev/null 2>&1; then echo "primary: answering (not started by this script)"
    else echo "$n: not running"; fi
  done
}

stop_all() {
  stop_blackhole
  stop_rec sshd 5; stop_rec registry 5; stop_rec registry-auth 5
  stop_podman; remove_cdi_spec
  local role cpid cst
  if ! rec_alive dockerd-crash && crash_orphans_alive; then log "dockerd-crash was killed: starting it once more to stop the containers it left"; ( start_crash_daemon ) || true; fi
  for role in swarm-w2 swarm-w1 swarm-m crash tcp tls; do
    # remember dockerd's containerd so an orphan can be reaped if dockerd had to be SIGKILLed
    cpid=$(cat "$STATE/$role/exec/containerd/containerd.pid" 2>/dev/null || true); cst=$( [ -n "$cpid" ] && starttime "$cpid" || true)
    stop_rec "dockerd-$role" 30
    if [ -n "$cpid" ] && [ -n "$cst" ] && [ "$(starttime "$cpid" 2>/dev/null)" = "$cst" ] \
       && tr '\0' ' ' < "/proc/$cpid/cmdline" | grep -q -- "$STATE/$role/exec"; then
      log "reaping orphan containerd $cpid"; kill -TERM "$cpid" 2>/dev/null || true; sleep 1; kill -KILL "$cpid" 2>/dev/null || true
    fi
    umount_under "$STATE/$role"
  done
  stop_rec primary 30
  if [ -s "$RUN/bridges" ]; then
    local br; while read -r br; do ip link del "$br" 2>/dev/null || true; done < "$RUN/bridges"; rm -f "$RUN/bridges"
  fi
  log "stopped"
}

# ---------------------------------------------------------------- main
exec 9> "$STATE/.lock"; flock 9
case "$CMD" in
  env) print_env ;;
  images)
    ensure_packages curl busybox-static mmdebstrap
    ping_sock "$PRIMARY_SOCK" >/dev/null 2>&1 || die "no Docker daemon answers on $PRIMARY_SOCK (\`testbed.sh start\` starts one)"
    ensure_primary_images; log "images: $BUSYBOX_IMAGE and $PYTHON_IMAGE are on $PRIMARY_SOCK" ;;
  status) status ;;
  stop) stop_all ;;
  stop-daemon)
    [ -n "$ROLE" ] || die "stop-daemon needs a role: tls, tcp, crash or swarm"
    if [ "$ROLE" = swarm ]; then
      for r in swarm-w2 swarm-w1 swarm-m; do stop_rec "dockerd-$r" 30; umount_under "$STATE/$r"; done
      if grep -qx docker_gwbridge "$RUN/bridges" 2>/dev/null; then ip link del docker_gwbridge 2>/dev/null || true; fi
    else stop_rec "dockerd-$ROLE" 30; case "$ROLE" in swarm-*) umount_under "$STATE/$ROLE" ;; esac; fi ;;
  start-daemon)
    [ "$ROLE" = crash ] || die "start-daemon starts the crash daemon only (\`start\` starts the others)"
    start_crash_daemon; echo "DOCKER_CRASH_HOST=unix://$STATE/crash/docker.sock" ;;
  kill-daemon) [ "$ROLE" = crash ] || die "kill-daemon kills the crash daemon only: others test against the shared ones"; kill_crash_daemon ;;
  purge)
    # remove containers and user-defined networks first, otherwise their br-* interfaces outlive the data
    if ! rec_alive dockerd-crash && crash_orphans_alive; then ( start_crash_daemon ) || true; fi
    for role in tls tcp crash "${SWARM_ROLES[@]}"; do
      rec_alive "dockerd-$role" || continue
      D=(docker -H "unix://$STATE/$role/docker.sock")
      ids=$("${D[@]}" ps -aq); [ -z "$ids" ] || "${D[@]}" rm -f $ids >/dev/null 2>&1 || true
      "${D[@]}" network prune -f >/dev/null 2>&1 || true
    done
    if rec_alive podman; then ids=$(docker -H "unix://$PODMAN_SOCK" ps -aq || true); [ -z "$ids" ] || docker -H "unix://$PODMAN_SOCK" rm -f $ids >/dev/null 2>&1 || true; fi
    stop_all; umount_under "$STATE"; exec 9>&-; rm -rf "$STATE"; log "purged $STATE" ;;
  start)
    ensure_packages
    ensure_certs
    ensure_primary
    ensure_extra_daemons
    ensure_registries
    ensure_sshd
    ensure_swarm
    ensure_blackhole
    ensure_images
    ensure_podman
    write_cdi_spec
    podman_images
    print_env > "$STATE/env.tmp" && mv "$STATE/env.tmp" "$STATE/env"   # readers never see a half-written file
    cat "$STATE/env"
    log "start complete"
    ;;
esac
