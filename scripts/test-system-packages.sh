#!/usr/bin/env bash
# Installs the Debian packages the tests drive for real: Chromium (the HTML report
# is opened in a headless browser), InfluxDB 1.x (the metrics sink writes to a
# real server) and Prometheus (PromQL hypotheses query a real one). Does nothing when they are present; when they cannot be installed
# (not root, no apt-get), says so and the tests that need them are skipped with
# that reason.
set -u
declare -A package_of=([chromium]=chromium [influxd]=influxdb [prometheus]=prometheus)
missing=()
for command in "${!package_of[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${package_of[$command]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test-system-packages: ${missing[*]} missing and cannot be installed here (needs root and apt-get); the tests that use them will be skipped" >&2
  exit 0
fi
echo "test-system-packages: installing ${missing[*]} from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
# No service may start on its own: the tests start InfluxDB and Prometheus on free ports themselves.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=1; fi
install() { apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/cpchaos-apt.log 2>&1; }
if install || { apt-get update -q >>/tmp/cpchaos-apt.log 2>&1; install; }; then
  rm -f /tmp/cpchaos-apt.log
else
  echo "test-system-packages: apt-get install ${missing[*]} failed (log: /tmp/cpchaos-apt.log); the tests that use them will be skipped" >&2
fi
[ $created_policy = 1 ] && rm -f "$policy"
exit 0
