#!/usr/bin/env bash
# Docker for the kind provider and its tests, from Debian's packages.
#   docker.sh start      install docker.io, debootstrap and jq if missing; start dockerd if no daemon answers
#   docker.sh stop       stop the dockerd that `start` started (and nothing else)
#   docker.sh run CMD..  start, run CMD, stop again whatever happens; exits with CMD's code
# Where Docker cannot run (not root, no apt-get, a daemon that will not start) it says
# why and exits 0, so the kind tests are skipped with that reason instead of failing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
pidfile=/run/cpchaos-dockerd.pid
log=/var/log/cpchaos-dockerd.log

say() { echo "docker.sh: $*" >&2; }

install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  command -v jq >/dev/null 2>&1 || missing+=(jq)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "${missing[*]} missing and cannot be installed here (needs root and apt-get)"
    return 1
  fi
  say "installing ${missing[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  # No service may start on its own: this script starts dockerd itself, with its own flags.
  local policy=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created=1; fi
  local ok=0
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/cpchaos-apt-docker.log 2>&1 ||
    { apt-get update -q >>/tmp/cpchaos-apt-docker.log 2>&1 && apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/cpchaos-apt-docker.log 2>&1; } || ok=1
  [ $created = 1 ] && rm -f "$policy"
  [ $ok = 0 ] && rm -f /tmp/cpchaos-apt-docker.log || say "apt-get install ${missing[*]} failed (log: /tmp/cpchaos-apt-docker.log)"
  return $ok
}

# Bit 24 of the bounding set is CAP_SYS_RESOURCE.
lacks_sys_resource() {
  local bounding
  bounding=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
  (( (16#$bounding >> 24 & 1) == 0 ))
}

start() {
  install_packages || return 0
  if docker info >/dev/null 2>&1; then
    if lacks_sys_resource && ! docker info --format '{{json .Runtimes}}' | grep -q cpchaos-runc; then
      say "a Docker daemon runs, but this host lacks CAP_SYS_RESOURCE and the daemon has no runtime that drops it: privileged containers (kind nodes) will fail; restart it with: $0 start"
    fi
    return 0
  fi
  local args=()
  if lacks_sys_resource; then
    args+=(--add-runtime "cpchaos-runc=$here/runc-without-sys-resource" --default-runtime cpchaos-runc)
    say "this host's capability bounding set lacks CAP_SYS_RESOURCE: dockerd runs containers through $here/runc-without-sys-resource"
  fi
  say "starting dockerd (log: $log)"
  dockerd "${args[@]}" >"$log" 2>&1 &
  echo $! > "$pidfile"
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return 0
    kill -0 "$(cat "$pidfile")" 2>/dev/null || break
    sleep 1
  done
  say "dockerd did not come up; the kind tests will be skipped. Last lines of $log:"
  tail -n 5 "$log" >&2
  stop
  return 0
}

stop() {
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$pidfile"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  run)
    shift
    [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null && rm -f "$pidfile"
    started_here=0
    [ -f "$pidfile" ] || { start; [ -f "$pidfile" ] && started_here=1; }
    trap '[ $started_here = 1 ] && stop' EXIT
    trap 'exit 130' INT TERM
    "$@"
    ;;
  *) echo "usage: $0 start | stop | run CMD..." >&2; exit 2 ;;
esac
