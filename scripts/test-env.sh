#!/usr/bin/env bash
# Gives the test suite a private Docker Engine, a local registry (v2) and a PostgreSQL server.
#   scripts/test-env.sh [up]          install, start, build images, print env (default)
#   scripts/test-env.sh stop          stop registry + sshd + dockerd + postgres (data is kept)
#   scripts/test-env.sh stop-docker   stop only dockerd (for outage tests; its TLS listener goes too)
#   scripts/test-env.sh start-docker  start only dockerd (with the TLS listener it had)
#   scripts/test-env.sh stop-ssh      stop only the private sshd (and its sessions)
#   scripts/test-env.sh start-ssh     start only the private sshd
#   scripts/test-env.sh stop-pg       stop only postgres
#   scripts/test-env.sh start-pg      start only postgres
# Progress goes to stderr; `up` prints only KEY=value lines on stdout (also in $DIR/env, mode 0600:
# it holds the database password). CAPSTAN_TEST_NO_PG=1 makes `up` skip PostgreSQL (a second engine
# instance does not need its own), CAPSTAN_TEST_NO_REGISTRY=1 its registry (it then uses the one on
# CAPSTAN_TEST_REGISTRY_PORT, default the main instance's 5055; test images are still built locally).
# A "remote" engine instance (tests of several engines) also gets:
#   CAPSTAN_TEST_TLS_PORT=P  dockerd listens on tcp://127.0.0.1:P too, mutual TLS; certs generated once in
#                            $DIR/tls (client set: $DIR/tls/client/{ca,cert,key}.pem, as DOCKER_CERT_PATH holds
#                            them) and a wrong client set in $DIR/tls-wrong (cert+key from another CA).
#   CAPSTAN_TEST_SSH_PORT=P  a private sshd on 127.0.0.1:P (root, key only: $DIR/ssh/id_ed25519; the key
#                            $DIR/ssh/wrong_ed25519 is not authorized) whose sessions have DOCKER_HOST set to
#                            this dockerd's socket, for `docker system dial-stdio` (docker -H ssh://, dockerode).
# Both are remembered (dockerd.flags, ssh/sshd_config): start-docker/start-ssh/up without the variables
# bring back what the instance had; set one to the empty string to drop it.
set -euo pipefail

DIR=${CAPSTAN_TEST_ENV_DIR:-/tmp/capstan-test-env}
REG_PORT=${CAPSTAN_TEST_REGISTRY_PORT:-5055}
# Own bridge + subnet so we never fight a system Docker's docker0/172.17.0.0/16,
# and outside Docker's default address pools so `docker network create` still works.
BRIDGE=${CAPSTAN_TEST_BRIDGE:-capstan0}
BRIDGE_CIDR=${CAPSTAN_TEST_BRIDGE_CIDR:-10.213.77.1/24}
# Every service gets its own network; Docker's default pools hold ~30. A /16 of /24s holds 256,
# and each engine instance needs its own range (two daemons on one host must not overlap).
ADDRESS_POOL=${CAPSTAN_TEST_ADDRESS_POOL:-10.220.0.0/16}
SOCK=$DIR/docker.sock
REG=127.0.0.1:$REG_PORT
IMAGE=capstan-test/busybox:latest
HTTPD_IMAGE=capstan-test/httpd:latest
REG_REPO=$REG/capstan/busybox
PG_PORT=${CAPSTAN_TEST_PG_PORT:-5058}
PG_USER=capstan PG_DB=capstan_jobs
PACKAGES=(docker.io docker-registry busybox-static chromium postgresql docker-compose git iproute2 util-linux
  openssh-server openssl)

log() { printf '[test-env] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# Prefer Debian's client: it matches the Debian dockerd (a newer /usr/local/bin/docker also works).
# A caller's context/TLS settings must not redirect us away from the private socket.
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
# Likewise a caller's PGHOST/PGSSLMODE/PGSERVICE/... must not redirect or break our psql calls.
for v in $(compgen -e); do [[ $v != PG* ]] || unset "$v"; done
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
    --init  # tini as PID 1 forwards SIGTERM: busybox httpd/sleep as PID 1 ignore it (10s stops)
    --default-address-pool "base=$ADDRESS_POOL,size=24")
  [ -z "$TLS_PORT" ] || args+=(-H "tcp://127.0.0.1:$TLS_PORT" --tlsverify --tlscacert "$DIR/tls/ca.pem"
    --tlscert "$DIR/tls/server-cert.pem" --tlskey "$DIR/tls/server-key.pem")
  if ensure_bridge; then args+=(--bridge "$BRIDGE"); else log "no 'ip': using default docker0"; fi
  log "starting dockerd ${args[*]}"
  # setsid+nohup: outlives this script; fd 9 (our lock) must not leak into the daemon.
  setsid nohup dockerd "${args[@]}" >>"$DIR/dockerd.log" 2>&1 </dev/null 9>&- &
  local pid=$! i
  for ((i = 0; i < 120; i++)); do docker_answers && tls_answers && return 0
    alive "$pid" || pidfile_alive "$DIR/dockerd.pid" dockerd || return 1; sleep 0.5; done
  return 1
}

start_docker() {
  mkdir -p "$DIR/data" "$DIR/exec"
  [ -z "$TLS_PORT" ] || ensure_tls
  if pidfile_alive "$DIR/dockerd.pid" dockerd; then   # running (maybe still booting): never start a 2nd
    if [ "$TLS_PORT" = "$(saved_tls_port)" ]; then
      local i; for ((i = 0; i < 120; i++)); do docker_answers && tls_answers && { log "dockerd already up"; return; }; sleep 0.5; done
      die "dockerd (pid $(cat "$DIR/dockerd.pid")) runs but does not answer${TLS_PORT:+ (also checked: TLS port $TLS_PORT)}; see $DIR/dockerd.log"
    fi
    log "dockerd runs with TLS port '$(saved_tls_port)', wanted '$TLS_PORT': restarting it"; stop_docker
  fi
  # Reuse flags that worked before, so a restart (outage tests) never goes through a failed try.
  local driver iptables saved=0
  if [ -f "$DIR/dockerd.flags" ]; then read -r driver iptables _ <"$DIR/dockerd.flags"; saved=1
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
  echo "$driver $iptables ${TLS_PORT:--}" >"$DIR/dockerd.flags"
  log "dockerd up (storage=$driver iptables=$iptables${TLS_PORT:+ tls=127.0.0.1:$TLS_PORT})"
}
# The TLS port the last started dockerd got: 3rd field of dockerd.flags ("-" or absent: none).
saved_tls_port() { local _d _i t=; [ ! -f "$DIR/dockerd.flags" ] || read -r _d _i t <"$DIR/dockerd.flags"
  [ "$t" != - ] || t=; echo "$t"; }
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

# ---- 2b. TLS for dockerd's tcp listener (mutual: the client needs a cert from our CA) ---------
TLS_DIR=$DIR/tls TLS_WRONG_DIR=$DIR/tls-wrong
tls_answers() { # true when there is no TLS listener to check
  [ -z "$TLS_PORT" ] || curl --noproxy '*' -fsS -m 5 -o /dev/null --cacert "$TLS_DIR/client/ca.pem" \
    --cert "$TLS_DIR/client/cert.pem" --key "$TLS_DIR/client/key.pem" "https://127.0.0.1:$TLS_PORT/_ping" 2>/dev/null
}
tls_ca() { # dir subject: a self-signed CA, ca.pem + ca-key.pem
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 -subj "/CN=$2" \
    -keyout "$1/ca-key.pem" -out "$1/ca.pem" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
tls_leaf() { # ca-dir key-out cert-out subject extension...: a key and a cert signed by that CA
  local ca=$1 key=$2 crt=$3 cn=$4; shift 4
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$cn" \
    -keyout "$key" -out "$crt.csr" 2>/dev/null || return 1
  printf '%s\n' "$@" >"$crt.ext"
  openssl x509 -req -in "$crt.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca-key.pem" -CAcreateserial -days 3650 \
    -extfile "$crt.ext" -out "$crt" 2>/dev/null || return 1
  rm -f "$crt.csr" "$crt.ext" "$ca/ca.srl"
}
ensure_tls() { # generated once, into temp dirs renamed at the end: an existing dir is always complete
  [ -s "$TLS_DIR/client/key.pem" ] && [ -s "$TLS_WRONG_DIR/key.pem" ] && return 0
  command -v openssl >/dev/null || die "openssl is missing (package openssl; run \`$0 up\`)"
  log "generating TLS certificates in $TLS_DIR and $TLS_WRONG_DIR"
  local t=$TLS_DIR.tmp w=$TLS_WRONG_DIR.tmp
  rm -rf "$t" "$w" "$TLS_DIR" "$TLS_WRONG_DIR"; (umask 077; mkdir -p "$t/client" "$w/other-ca")
  tls_ca "$t" capstan-test-ca || die "openssl: cannot create the CA"
  tls_leaf "$t" "$t/server-key.pem" "$t/server-cert.pem" localhost basicConstraints=CA:FALSE \
    keyUsage=critical,digitalSignature,keyEncipherment extendedKeyUsage=serverAuth \
    subjectAltName=IP:127.0.0.1,DNS:localhost || die "openssl: cannot create the server cert"
  tls_leaf "$t" "$t/client/key.pem" "$t/client/cert.pem" capstan-test-client basicConstraints=CA:FALSE \
    keyUsage=critical,digitalSignature extendedKeyUsage=clientAuth || die "openssl: cannot create the client cert"
  cp "$t/ca.pem" "$t/client/ca.pem"
  # The wrong set trusts the right server (its ca.pem is our CA) but its client cert comes from another
  # CA, so dockerd refuses the handshake. (That other CA is in other-ca/ca.pem, for tests that want the
  # client's check of the server to fail instead.)
  tls_ca "$w/other-ca" capstan-test-other-ca || die "openssl: cannot create the other CA"
  tls_leaf "$w/other-ca" "$w/key.pem" "$w/cert.pem" capstan-test-client basicConstraints=CA:FALSE \
    keyUsage=critical,digitalSignature extendedKeyUsage=clientAuth || die "openssl: cannot create the wrong client cert"
  cp "$t/ca.pem" "$w/ca.pem"; rm -f "$w/other-ca/ca-key.pem"
  chmod 644 "$t"/*.pem "$t/client"/*.pem "$w"/*.pem "$w/other-ca"/*.pem
  chmod 600 "$t"/*key.pem "$t/client/key.pem" "$w/key.pem"
  chmod 755 "$t" "$t/client" "$w" "$w/other-ca"
  mv "$w" "$TLS_WRONG_DIR"; mv "$t" "$TLS_DIR"
}

# ---- 2c. private sshd: ssh://root@127.0.0.1:PORT reaches this dockerd -------------------------
SSH_DIR=$DIR/ssh
saved_ssh_port() { awk '$1 == "Port" {print $2; exit}' "$SSH_DIR/sshd_config" 2>/dev/null || true; }
ssh_client() { # key command...: a login as the tests make it (no user config, our known_hosts)
  local key=$1; shift
  timeout 20 ssh -F /dev/null -i "$key" -p "$SSH_PORT" -o BatchMode=yes -o IdentitiesOnly=yes \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$SSH_DIR/known_hosts" -o GlobalKnownHostsFile=/dev/null \
    -o ConnectTimeout=5 -o LogLevel=ERROR root@127.0.0.1 "$@" </dev/null 9>&-
}
ssh_answers() { [ "$(ssh_client "$SSH_DIR/id_ed25519" 'echo "$DOCKER_HOST"' 2>/dev/null)" = "unix://$SOCK" ]; }
ensure_ssh_keys() { # generated once (temp dir, renamed)
  [ -s "$SSH_DIR/wrong_ed25519" ] && [ -s "$SSH_DIR/authorized_keys" ] && return 0
  command -v ssh-keygen >/dev/null || die "ssh-keygen is missing (package openssh-client; run \`$0 up\`)"
  log "generating ssh keys in $SSH_DIR"
  local t=$SSH_DIR.tmp k; rm -rf "$t" "$SSH_DIR"; (umask 077; mkdir -p "$t")
  for k in host_ed25519 id_ed25519 wrong_ed25519; do
    ssh-keygen -q -t ed25519 -N '' -C "capstan-test-$k" -f "$t/$k" </dev/null || die "ssh-keygen failed"; done
  cp "$t/id_ed25519.pub" "$t/authorized_keys"
  mv "$t" "$SSH_DIR"
}
ssh_config() { # sshd_config for the current SSH_PORT (rewritten at every start: the port may change)
  # the host key in known_hosts form ([host]:port, as ssh writes it), for clients that check it
  echo "[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$SSH_DIR/host_ed25519.pub")" >"$SSH_DIR/known_hosts"
  cat >"$SSH_DIR/sshd_config" <<EOF
# written by scripts/test-env.sh: a private sshd for the tests (root by key only, 127.0.0.1 only)
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $SSH_DIR/host_ed25519
PidFile $SSH_DIR/sshd.pid
AuthorizedKeysFile $SSH_DIR/authorized_keys
PermitRootLogin prohibit-password
AllowUsers root
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitUserEnvironment no
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
UseDNS no
LogLevel INFO
# docker system dial-stdio (what docker -H ssh:// and dockerode run) must reach this instance's dockerd
SetEnv DOCKER_HOST=unix://$SOCK
EOF
}
child_pids() { # pid: its live children
  local f st; for f in /proc/[0-9]*/stat; do read -r st 2>/dev/null <"$f" || continue
    st=${st##*) }; st=${st#* }; [ "${st%% *}" = "$1" ] || continue; f=${f#/proc/}; echo "${f%/stat}"; done; true
}
start_ssh() {
  [ -n "$SSH_PORT" ] || return 0
  [ -x /usr/sbin/sshd ] || die "/usr/sbin/sshd is missing (package openssh-server; run \`$0 up\`)"
  ensure_ssh_keys
  if pidfile_alive "$SSH_DIR/sshd.pid" sshd; then
    if [ "$(saved_ssh_port)" = "$SSH_PORT" ]; then
      local i; for ((i = 0; i < 20; i++)); do ssh_answers && { log "sshd already up"; return; }; sleep 0.5; done
      tail -n 20 "$SSH_DIR/sshd.log" >&2; die "sshd (pid $(cat "$SSH_DIR/sshd.pid")) runs but a key login on 127.0.0.1:$SSH_PORT fails"
    fi
    log "sshd runs on port $(saved_ssh_port), wanted $SSH_PORT: restarting it"; stop_ssh
  fi
  rm -f "$SSH_DIR/sshd.pid"; ssh_config
  mkdir -p /run/sshd; chmod 755 /run/sshd   # its privilege separation dir (normally made by systemd)
  /usr/sbin/sshd -t -f "$SSH_DIR/sshd_config" 2>>"$SSH_DIR/sshd.log" ||
    { tail -n 5 "$SSH_DIR/sshd.log" >&2; die "sshd -t rejects $SSH_DIR/sshd_config"; }
  log "starting sshd on 127.0.0.1:$SSH_PORT"
  # -D: no daemonizing (setsid+nohup do that, as for dockerd); -e: log to stderr, i.e. our log
  setsid nohup /usr/sbin/sshd -D -e -f "$SSH_DIR/sshd_config" >>"$SSH_DIR/sshd.log" 2>&1 </dev/null 9>&- &
  local pid=$! i
  for ((i = 0; i < 40; i++)); do ssh_answers && { echo "$pid" >"$SSH_DIR/sshd.pid"; log "sshd up"; return 0; }
    alive "$pid" sshd || break; sleep 0.25; done
  tail -n 20 "$SSH_DIR/sshd.log" >&2; die "sshd did not accept a key login on 127.0.0.1:$SSH_PORT (log above: $SSH_DIR/sshd.log)"
}
stop_ssh() { # the listener and its sessions (a dial-stdio session would otherwise keep its tunnel)
  local pid kids= k; pid=$(cat "$SSH_DIR/sshd.pid" 2>/dev/null) || return 0
  ! alive "$pid" sshd || kids=$(child_pids "$pid")
  stop_pidfile "$SSH_DIR/sshd.pid" sshd
  for k in $kids; do ! alive "$k" sshd || kill -TERM "$k" 2>/dev/null || true; done
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

# ---- 5. postgres (external job-queue database) --------------------------------
# Debian's postgresql package, but not its cluster: a private data dir run by the `postgres` user
# (the server refuses to run as root), TCP on 127.0.0.1 only, password (scram) auth over TCP and
# peer auth on a private unix socket for our own admin psql.
pg_paths() { # absolute paths: as_pg runs from / and postgres' cwd (checked below) is the resolved path
  PG_ROOT=$(cd "$DIR" && pwd -P)
  PGDATA=$PG_ROOT/postgres PG_SOCK=$PG_ROOT/pg-socket PG_LOG=$PG_ROOT/postgres.log PG_PWFILE=$PG_ROOT/postgres-password
}
as_pg() { (cd / && exec runuser -u postgres -- "$@") 9>&-; }  # fd 9 = our lock: must not leak into the server

pg_bin() { # sets PG_BIN: an existing cluster needs its own major version; a new one gets the newest installed
  local v
  if [ -f "$PGDATA/PG_VERSION" ]; then v=$(cat "$PGDATA/PG_VERSION")
    [ -x "/usr/lib/postgresql/$v/bin/postgres" ] ||
      die "$PGDATA is a PostgreSQL $v cluster but $v is not installed; remove $PGDATA to re-create it"
  else
    v=$(printf '%s\n' /usr/lib/postgresql/*/bin/postgres | sort -V | tail -n 1)
    [ -x "$v" ] || die "no PostgreSQL server under /usr/lib/postgresql (package postgresql)"
    v=${v#/usr/lib/postgresql/}; v=${v%%/*}
  fi
  PG_BIN=/usr/lib/postgresql/$v/bin
}

# The postmaster of *our* data dir: postmaster.pid alone is not enough, since after a kill -9 it names
# a zombie (see alive) or, after a reboot, any process, possibly another instance's postgres.
pg_pid() {
  local pid; pid=$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null) || return 1
  alive "$pid" postgres && [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$PGDATA" ] && echo "$pid"
}
pg_leftovers() { # live postgres processes still running in our data dir (children of a killed postmaster)
  local f pid; for f in /proc/[0-9]*/cwd; do pid=${f#/proc/}; pid=${pid%/cwd}
    [ "$(readlink "$f" 2>/dev/null)" = "$PGDATA" ] && alive "$pid" postgres && echo "$pid"; done; true
}
pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 5; }
pg_login_ok() { # the URL we print really works: role, password and database are in place
  PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -q -At -h 127.0.0.1 -p "$PG_PORT" \
    -U "$PG_USER" -d "$PG_DB" -c 'select 1' >/dev/null 2>&1
}

pg_init() { # initdb into a temp dir, then rename: a $PGDATA that exists is always complete
  local tmp=$PGDATA.init
  rm -rf "$tmp"; mkdir -m 700 "$tmp"; chown postgres:postgres "$tmp"
  log "initdb $PGDATA (PostgreSQL $(basename "$(dirname "$PG_BIN")"))"
  # (its output, which names the temp dir, only matters when it fails)
  as_pg "$PG_BIN/initdb" -D "$tmp" -U postgres -E UTF8 --no-locale \
    --auth-local=peer --auth-host=scram-sha-256 >"$PG_ROOT/initdb.log" 2>&1 ||
    { cat "$PG_ROOT/initdb.log" >&2; die "initdb failed"; }
  # Only what we use: no replication, no ::1 (we listen on 127.0.0.1 only).
  printf '%s\n' '# written by scripts/test-env.sh' 'local all postgres peer' \
    'host all all 127.0.0.1/32 scram-sha-256' >"$tmp/pg_hba.conf"
  # A test server: losing the last commits in a crash is fine (no corruption, unlike fsync=off).
  printf '%s\n' '# scripts/test-env.sh' 'synchronous_commit = off' 'max_connections = 200' >>"$tmp/postgresql.conf"
  chown postgres:postgres "$tmp/pg_hba.conf"
  mv "$tmp" "$PGDATA"
}

pg_password() { # generated once; hex is URL-safe as is
  if [ ! -s "$PG_PWFILE" ]; then
    (umask 077; od -An -tx1 -N 24 /dev/urandom | tr -d ' \n' >"$PG_PWFILE.tmp") && mv "$PG_PWFILE.tmp" "$PG_PWFILE"
  fi
  chmod 600 "$PG_PWFILE"; PG_PASSWORD=$(cat "$PG_PWFILE")
}

pg_provision() { # role + database; idempotent, runs only when the login check fails
  log "creating role $PG_USER and database $PG_DB"
  # Via stdin (not argv, visible in ps); \gexec makes the CREATEs conditional.
  as_pg "$PG_BIN/psql" -X -q -h "$PG_SOCK" -p "$PG_PORT" -d postgres -v ON_ERROR_STOP=1 >&2 <<EOF
\set pw '$PG_PASSWORD'
SELECT 'CREATE ROLE $PG_USER' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') \gexec
ALTER ROLE $PG_USER LOGIN CREATEDB PASSWORD :'pw';
SELECT 'CREATE DATABASE $PG_DB OWNER $PG_USER'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$PG_DB') \gexec
EOF
}

start_pg() {
  pg_paths; pg_bin; pg_password
  local pid i
  if pid=$(pg_pid); then
    # Same cluster asked for another port (CAPSTAN_TEST_PG_PORT changed): restart on the new one.
    if [ "$(sed -n 4p "$PGDATA/postmaster.pid")" != "$PG_PORT" ]; then stop_pg
    else  # running; maybe still in crash recovery: give it time, never start a 2nd
      for ((i = 0; i < 120; i++)); do pg_ready && break; sleep 0.5; done
      pg_ready || { tail -n 20 "$PG_LOG" >&2; die "postgres (pid $pid) runs but does not answer on 127.0.0.1:$PG_PORT"; }
      pg_login_ok || pg_provision
      log "postgres already up"; return
    fi
  fi
  pg_ready && die "something else already serves PostgreSQL on 127.0.0.1:$PG_PORT (not our $PGDATA); stop it or set CAPSTAN_TEST_PG_PORT"
  # The postgres user must reach $DIR (created by root, perhaps with a tight umask): traverse only.
  chmod o+x "$PG_ROOT"
  as_pg test -x "$PG_ROOT" || die "user postgres cannot traverse to $DIR (a parent dir lacks o+x)"
  [ -d "$PGDATA" ] || pg_init
  # Not running, so whatever pid files exist are stale. The server itself refuses to start while
  # postmaster.pid or the socket's .lock names a live pid, and a zombie counts as live.
  local left; left=$(pg_leftovers)
  for ((i = 0; i < 10 && ${#left}; i++)); do sleep 0.5; left=$(pg_leftovers); done
  # Children of a killed postmaster still attached to its shared memory block block a new one.
  [ -z "$left" ] || { log "killing leftover postgres processes: $(echo $left)"; kill -KILL $left 2>/dev/null || true; sleep 1; }
  rm -f "$PGDATA/postmaster.pid"
  mkdir -p "$PG_SOCK"; chown postgres:postgres "$PG_SOCK"; chmod 700 "$PG_SOCK"; rm -f "$PG_SOCK"/.s.PGSQL.*
  # The server (user postgres) appends to its log, but may not create files in root's $DIR.
  touch "$PG_LOG"; chown postgres:postgres "$PG_LOG"; chmod 600 "$PG_LOG"
  log "starting postgres on 127.0.0.1:$PG_PORT ($PGDATA)"
  # pg_ctl puts the server in its own session with stdio on the log: it outlives us, holds no pipe.
  # -t 120: after a kill -9 the server replays WAL before it accepts connections.
  if ! as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PG_LOG" -w -t 120 \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k '$PG_SOCK'" start >&2; then
    tail -n 20 "$PG_LOG" >&2; die "postgres did not start (log above: $PG_LOG)"
  fi
  pg_login_ok || pg_provision
  pg_login_ok || die "cannot log in as $PG_USER to 127.0.0.1:$PG_PORT/$PG_DB after provisioning"
  log "postgres up"
}

stop_pg() {
  pg_paths
  local pid; pid=$(pg_pid) || return 0   # also when there is no cluster (or no postgres installed)
  pg_bin; log "stopping postgres (pid $pid)"
  # -m fast: roll back open transactions (tests may leave connections behind) rather than wait for them
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >&2 && return
  log "pg_ctl stop failed, sending SIGQUIT"; kill -QUIT "$pid" 2>/dev/null || true
  local i; for ((i = 0; i < 20; i++)); do alive "$pid" || return 0; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
}

# ---- main ---------------------------------------------------------------------
cmd=${1:-up}
case $cmd in up | stop | stop-docker | start-docker | stop-ssh | start-ssh | stop-pg | start-pg) ;;
  *) die "usage: $0 [up|stop|stop-docker|start-docker|stop-ssh|start-ssh|stop-pg|start-pg]" ;; esac
[ "$(id -u)" = 0 ] || die "must run as root (dockerd, apt-get)"
mkdir -p "$DIR"
exec 9>"$DIR/.lock"; flock -w 600 9 || die "another test-env.sh holds $DIR/.lock"  # serialise parallel runs
# Unset: what this instance had before; set (even to ""): that.
TLS_PORT=${CAPSTAN_TEST_TLS_PORT-$(saved_tls_port)}
SSH_PORT=${CAPSTAN_TEST_SSH_PORT-$(saved_ssh_port)}
for p in "$TLS_PORT" "$SSH_PORT"; do [[ -z $p || $p =~ ^[1-9][0-9]{0,4}$ ]] || die "bad port '$p'"; done

case $cmd in
  stop) stop_pidfile "$DIR/registry.pid" docker-registry; stop_ssh; stop_docker; stop_pg ;;
  stop-docker) stop_docker ;;
  start-docker) start_docker ;;
  stop-ssh) stop_ssh ;;
  start-ssh) start_ssh ;;
  stop-pg) stop_pg ;;
  start-pg) ensure_packages; start_pg ;;
  up)
    start=$SECONDS
    ensure_packages; start_docker
    [ "${CAPSTAN_TEST_NO_REGISTRY:-}" = 1 ] || start_registry
    build_images
    [ "${CAPSTAN_TEST_NO_REGISTRY:-}" = 1 ] || push_images
    [ "${CAPSTAN_TEST_NO_PG:-}" = 1 ] || start_pg
    start_ssh
    env_text="DOCKER_HOST=unix://$SOCK
CAPSTAN_TEST_REGISTRY=$REG
CAPSTAN_TEST_IMAGE=$IMAGE
CAPSTAN_TEST_HTTPD_IMAGE=$HTTPD_IMAGE
CAPSTAN_TEST_REGISTRY_IMAGE=$REG_REPO:1"
    [ "${CAPSTAN_TEST_NO_PG:-}" = 1 ] ||
      env_text+=$'\n'"CAPSTAN_TEST_PG_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"
    [ -z "$TLS_PORT" ] || env_text+="
CAPSTAN_TEST_TLS_URL=tcp://127.0.0.1:$TLS_PORT
CAPSTAN_TEST_TLS_DIR=$TLS_DIR/client
CAPSTAN_TEST_TLS_WRONG_DIR=$TLS_WRONG_DIR"
    [ -z "$SSH_PORT" ] || env_text+="
CAPSTAN_TEST_SSH_URL=ssh://root@127.0.0.1:$SSH_PORT
CAPSTAN_TEST_SSH_KEY=$SSH_DIR/id_ed25519
CAPSTAN_TEST_SSH_WRONG_KEY=$SSH_DIR/wrong_ed25519
CAPSTAN_TEST_SSH_KNOWN_HOSTS=$SSH_DIR/known_hosts"
    (umask 077; printf '%s\n' "$env_text" >"$DIR/env.tmp") && mv "$DIR/env.tmp" "$DIR/env"
    log "ready in $((SECONDS - start))s (env in $DIR/env)"
    printf '%s\n' "$env_text" ;;
esac
