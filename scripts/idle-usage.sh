#!/usr/bin/env bash
# Measures the daemon's idle CPU and memory: starts a simulated modem and the
# daemon (two processes), lets the daemon settle, then samples the daemon's
# CPU time and resident memory over a window.
#   usage: scripts/idle-usage.sh [seconds]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
window=${1:-60}
work=$(mktemp -d)
trap 'kill $sim $daemon 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
# Built as for a box: static and stripped (README, scripts/build-arm.sh).
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/mifos-edge" ./cmd/mifos-edge
cat > "$work/c.toml" <<CFG
[modem]
device = "$work/modem"
[store]
path = "$work/state.db"
CFG
sleep infinity | "$work/mifos-edge" simulate --link "$work/modem" --profile huawei-e173 >/dev/null 2>&1 &
sim=$!
for _ in $(seq 50); do [ -e "$work/modem" ] && break; sleep 0.1; done
"$work/mifos-edge" run --config "$work/c.toml" 2>"$work/daemon.log" &
daemon=$!
sleep 5
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14+$15}' /proc/$daemon/stat; }
t0=$(ticks); sleep "$window"; t1=$(ticks)
rss=$(awk '/VmRSS/{print $2}' /proc/$daemon/status)
hwm=$(awk '/VmHWM/{print $2}' /proc/$daemon/status)
anon=$(awk '/RssAnon/{print $2}' /proc/$daemon/status)
file=$(awk '/RssFile/{print $2}' /proc/$daemon/status)
awk -v t="$((t1-t0))" -v hz="$hz" -v w="$window" -v rss="$rss" -v hwm="$hwm" -v anon="$anon" -v file="$file" 'BEGIN{
  printf "idle window %ds: cpu %.2f%% (%d ticks), RSS %.1f MB (peak %.1f MB; anonymous %.1f MB, file-backed %.1f MB)\n", w, 100*t/hz/w, t, rss/1024, hwm/1024, anon/1024, file/1024 }'
