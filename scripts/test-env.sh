#!/usr/bin/env bash
# Gives the test suite a private Docker Engine and a local registry (v2).
#   scripts/test-env.sh [up]          install, start, build images, print env (default)
#   scripts/test-env.sh stop          stop registry + dockerd (data is kept)
#   scripts/test-env.sh stop-docker   stop only dockerd (for outage tests)
#   scripts/test-env.sh start-docker  start only dockerd
# Progress goes to stderr; `up` prints only KEY=value lines on stdout (also in $DIR/env).
set -euo pipefail

DIR=${CAPSTAN_TEST_ENV_DIR:-/tmp/capstan-test-env}
REG_PORT=${CAPSTAN_TEST_REGISTRY_PORT:-5055}
# Own bridge + subnet so we never fight a system Docker's docker0/172.17.0.0/16,
# and outside Docker's default address pools so `docker network create` still works.
BRIDGE=${CAPSTAN_TEST_BRIDGE:-capstan0}
BRIDGE_CIDR=${CAPSTAN_TEST_BRIDGE_CIDR:-10.213.77.1/24}
SOCK=$DIR/docker.sock
REG=127.0.0.1:$REG_PORT
IMAGE=capstan-test/busybox:latest
HTTPD_IMAGE=capstan-test/httpd:latest
REG_REPO=$REG/capstan/busybox
PACKAGES=(docker.io docker-registry busybox-static chromium postgresql)

log() { printf '[test-env] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# Prefer Debian's client: it matches the Debian dockerd (a newer /usr/local/bin/docker also works).
# A caller's context/TLS settings must not redirect us away from the private socket.
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
dk_bin() { if [ -x /usr/bin/docker ]; then echo /usr/bin/docker; else echo docker; fi; }
dk() { "$(dk_bin)" -H "unix://$SOCK" "$@"; }
http_ok() { curl --noproxy '*' -fsS -m 5 -o /dev/null "$@" 2>/dev/null; }

# A pid counts only if it runs the expected binary and is not a zombie
# (PID 1 here reaps late, so `kill -0` alone says "alive" after exit).
alive() { # pid [comm]
  local st
  [ -n "${1:-}" ] && read -r st 2>/dev/null <"/proc/$1/stat" || return 1
  [[ ${st##*) } != Z* ]] || return 1
  [ -z "${2:-}" ] || [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]
}
pidfile_alive() { alive "$(cat "$1" 2>/dev/null || true)" "$2"; }

# ---- 1. packages --------------------------------------------------------------
apt_busy() { local f c; for f in /proc/[0-9]*/comm; do read -r c 2>/dev/null <"$f" || continue
  case $c in apt|apt-get|aptitude|dpkg|unattended-upgr) return 0 ;; esac; done; return 1; }
missing_pkgs() { local p; for p in "${PACKAGES[@]}"; do
  # (not `dpkg -s | grep -q`: with pipefail, grep's early exit can SIGPIPE dpkg -> false "missing")
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || echo "$p"; done
  command -v curl >/dev/null || echo curl; }   # the health checks below need curl
ensure_packages() {
  [ -z "$(missing_pkgs)" ] && return 0
  # Another install may be running in the background (see /tmp/apt.log): let it finish,
  # it may well be installing exactly these.
  local i; for ((i = 0; i < 900; i++)); do apt_busy || break
    ((i % 30)) || log "waiting for a running apt/dpkg to finish (tail /tmp/apt.log)..."; sleep 1; done
  local missing; missing=$(missing_pkgs | tr '\n' ' ')
  [ -z "${missing// /}" ] && return 0
  log "installing (missing: $missing)"
  local apt=(apt-get -q -o DPkg::Lock::Timeout=600)
  "${apt[@]}" update >&2
  DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 "${apt[@]}" install -y -o Dpkg::Options::=--force-confdef \
    -o Dpkg::Options::=--force-confold "${PACKAGES[@]}" $(command -v curl >/dev/null || echo curl) >&2
}

# ---- 2. private dockerd -------------------------------------------------------
docker_answers() { [ -S "$SOCK" ] && timeout 15 "$(dk_bin)" -H "unix://$SOCK" info >/dev/null 2>&1; }

# overlay2 needs a working overlay mount on the data dir's filesystem (fails e.g. on overlayfs).
probe_storage() {
  local t; t=$(mktemp -d "$DIR/.ovl.XXXXXX"); mkdir "$t"/{l,u,w,m}
  if mount -t overlay overlay -o "lowerdir=$t/l,upperdir=$t/u,workdir=$t/w" "$t/m" 2>/dev/null
  then umount "$t/m"; echo overlay2; else echo vfs; fi; rm -rf "$t"
}
ensure_bridge() { # false when we cannot create it (no iproute2): dockerd then uses docker0
  command -v ip >/dev/null || return 1
  ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge || return 1
  ip addr replace "$BRIDGE_CIDR" dev "$BRIDGE" && ip link set "$BRIDGE" up
}

launch_dockerd() { # storage-driver iptables(true|false); returns when it answers or died
  local args=(--data-root "$DIR/data" --exec-root "$DIR/exec" --pidfile "$DIR/dockerd.pid"
    -H "unix://$SOCK" --storage-driver "$1" --iptables="$2" --userland-proxy=true
    --init)  # tini as PID 1 forwards SIGTERM: busybox httpd/sleep as PID 1 ignore it (10s stops)
  if ensure_bridge; then args+=(--bridge "$BRIDGE"); else log "no 'ip': using default docker0"; fi
  log "starting dockerd ${args[*]}"
  # setsid+nohup: outlives this script; fd 9 (our lock) must not leak into the daemon.
  setsid nohup dockerd "${args[@]}" >>"$DIR/dockerd.log" 2>&1 </dev/null 9>&- &
  local pid=$! i
  for ((i = 0; i < 120; i++)); do docker_answers && return 0
    alive "$pid" || pidfile_alive "$DIR/dockerd.pid" dockerd || return 1; sleep 0.5; done
  return 1
}

start_docker() {
  mkdir -p "$DIR/data" "$DIR/exec"
  if pidfile_alive "$DIR/dockerd.pid" dockerd; then   # running (maybe still booting): never start a 2nd
    local i; for ((i = 0; i < 120; i++)); do docker_answers && { log "dockerd already up"; return; }; sleep 0.5; done
    die "dockerd (pid $(cat "$DIR/dockerd.pid")) runs but does not answer; see $DIR/dockerd.log"
  fi
  # Reuse flags that worked before, so a restart (outage tests) never goes through a failed try.
  local driver iptables saved=0
  if [ -f "$DIR/dockerd.flags" ]; then read -r driver iptables <"$DIR/dockerd.flags"; saved=1
  else
    driver=${CAPSTAN_TEST_STORAGE_DRIVER:-$(probe_storage)}
    # Without a usable nat table dockerd cannot set up its chains; the userland proxy
    # then still forwards 127.0.0.1:PORT to containers.
    iptables=true; iptables -t nat -L -n >/dev/null 2>&1 || iptables=false
  fi
  # dockerd refuses to start while its pidfile names an existing /proc entry, and a
  # SIGKILLed dockerd lingers here as a zombie: the pidfile is stale (checked above), drop it.
  rm -f "$DIR/dockerd.pid"
  # Same for its containerd: a stale pid there makes dockerd wait 15s for a socket that never comes.
  pidfile_alive "$DIR/exec/containerd/containerd.pid" containerd || rm -f "$DIR/exec/containerd/containerd.pid"
  if ! launch_dockerd "$driver" "$iptables"; then
    # Fall back only while probing: flags that worked before are not the problem (and
    # switching the storage driver would hide every image and container).
    [ "$saved" = 0 ] && [ "$driver $iptables" != "vfs false" ] || fail_docker
    log "dockerd failed with storage=$driver iptables=$iptables; retrying with vfs, no iptables"
    tail -n 5 "$DIR/dockerd.log" >&2; stop_pidfile "$DIR/dockerd.pid" dockerd
    driver=vfs iptables=false; launch_dockerd vfs false || fail_docker
  fi
  echo "$driver $iptables" >"$DIR/dockerd.flags"
  log "dockerd up (storage=$driver iptables=$iptables)"
}
fail_docker() { tail -n 30 "$DIR/dockerd.log" >&2; die "dockerd did not answer on $SOCK within 60s (log above: $DIR/dockerd.log)"; }

stop_pidfile() { # pidfile comm: TERM, wait (dockerd stops its containers first), then KILL
  local pid i; pid=$(cat "$1" 2>/dev/null) || return 0
  if alive "$pid" "$2"; then
    log "stopping $2 (pid $pid)"; kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 80; i++)); do alive "$pid" || break; sleep 0.5; done
    if alive "$pid"; then log "$2 ignored TERM for 40s, killing"; kill -KILL "$pid" 2>/dev/null || true; sleep 1; fi
  fi
  rm -f "$1"
}

stop_docker() {
  local ctrd; ctrd=$(cat "$DIR/exec/containerd/containerd.pid" 2>/dev/null || true)
  stop_pidfile "$DIR/dockerd.pid" dockerd
  # its containerd sometimes dumps goroutine stacks into /tmp on the way out: don't litter
  [ -z "$ctrd" ] || rm -f "/tmp/containerd.$ctrd.stacks.log"
  # dockerd bind-mounts its data-root (and overlays); a crash or failed start can leave them
  # behind, which makes `rm -rf $DIR` fail with EBUSY. Deepest first.
  awk -v d="$DIR/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
    umount -l "$m" && log "unmounted leftover $m"; done
}

# ---- 3. registry --------------------------------------------------------------
start_registry() {
  if pidfile_alive "$DIR/registry.pid" docker-registry && http_ok "http://$REG/v2/"; then
    log "registry already up"; return; fi
  pidfile_alive "$DIR/registry.pid" docker-registry || ! http_ok "http://$REG/v2/" ||
    die "something else already serves $REG (not our pid); stop it or set CAPSTAN_TEST_REGISTRY_PORT"
  mkdir -p "$DIR/registry"
  cat >"$DIR/registry.yml" <<EOF
version: 0.1
log: {level: info}
storage:
  filesystem: {rootdirectory: $DIR/registry}
  delete: {enabled: true}
http: {addr: $REG}
EOF
  if ! pidfile_alive "$DIR/registry.pid" docker-registry; then
    log "starting registry on $REG"
    setsid nohup docker-registry serve "$DIR/registry.yml" >>"$DIR/registry.log" 2>&1 </dev/null 9>&- &
    echo $! >"$DIR/registry.pid"
  fi
  local i; for ((i = 0; i < 60; i++)); do http_ok "http://$REG/v2/" && return 0
    pidfile_alive "$DIR/registry.pid" docker-registry || break; sleep 0.5; done
  tail -n 20 "$DIR/registry.log" >&2; die "registry did not answer on http://$REG/v2/"
}

# ---- 4. images ----------------------------------------------------------------
build_images() { # builds only what is missing (e.g. after the data dir was wiped); BUILT=1 if busybox was
  BUILT=0
  local want_bb=0 want_httpd=0
  dk image inspect "$IMAGE" >/dev/null 2>&1 || want_bb=1
  dk image inspect "$HTTPD_IMAGE" >/dev/null 2>&1 || want_httpd=1
  [ "$want_bb$want_httpd" != 00 ] || return 0
  log "building test images from busybox-static (busybox=$want_bb httpd=$want_httpd)"
  local r=$DIR/.rootfs; rm -rf "$r"; mkdir -p "$r"/{bin,etc,root,tmp,var/www}  # in $DIR: no /tmp litter on failure
  cp /bin/busybox "$r/bin/busybox"
  chroot "$r" /bin/busybox --install -s /bin  # inside a chroot the links point at /bin/busybox
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  chmod 1777 "$r/tmp"; echo '<h1>capstan-test httpd</h1>' >"$r/var/www/index.html"
  # Reproducible tar: a rebuild yields the same layer digest, so the registry dedups it.
  rootfs_tar() { tar -C "$r" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -c .; }
  if [ "$want_bb" = 1 ]; then rootfs_tar | dk import -c 'CMD ["sh"]' - "$IMAGE" >/dev/null; BUILT=1; fi
  if [ "$want_httpd" = 1 ]; then rootfs_tar | dk import -c 'EXPOSE 80' \
    -c 'CMD ["httpd","-f","-v","-p","80","-h","/var/www"]' - "$HTTPD_IMAGE" >/dev/null; fi
  rm -rf "$r"
}
push_images() {
  local accept='Accept: application/vnd.docker.distribution.manifest.v2+json' t need=$BUILT
  for t in 1 latest; do http_ok -H "$accept" "http://$REG/v2/capstan/busybox/manifests/$t" || need=1; done
  [ "$need" = 1 ] || { log "registry already has capstan/busybox:1,latest"; return 0; }
  for t in 1 latest; do   # 127.0.0.0/8 is an insecure (plain http) registry by default
    log "pushing $REG_REPO:$t"; dk tag "$IMAGE" "$REG_REPO:$t"; dk push "$REG_REPO:$t" >&2
  done
}

# ---- main ---------------------------------------------------------------------
cmd=${1:-up}
case $cmd in up | stop | stop-docker | start-docker) ;; *) die "usage: $0 [up|stop|stop-docker|start-docker]" ;; esac
[ "$(id -u)" = 0 ] || die "must run as root (dockerd, apt-get)"
mkdir -p "$DIR"
exec 9>"$DIR/.lock"; flock -w 600 9 || die "another test-env.sh holds $DIR/.lock"  # serialise parallel runs

case $cmd in
  stop) stop_pidfile "$DIR/registry.pid" docker-registry; stop_docker ;;
  stop-docker) stop_docker ;;
  start-docker) start_docker ;;
  up)
    start=$SECONDS
    ensure_packages; start_docker; start_registry; build_images; push_images
    env_text="DOCKER_HOST=unix://$SOCK
CAPSTAN_TEST_REGISTRY=$REG
CAPSTAN_TEST_IMAGE=$IMAGE
CAPSTAN_TEST_HTTPD_IMAGE=$HTTPD_IMAGE
CAPSTAN_TEST_REGISTRY_IMAGE=$REG_REPO:1"
    printf '%s\n' "$env_text" >"$DIR/env.tmp" && mv "$DIR/env.tmp" "$DIR/env"
    log "ready in $((SECONDS - start))s (env in $DIR/env)"
    printf '%s\n' "$env_text" ;;
esac
