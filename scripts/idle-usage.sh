#!/usr/bin/env bash
# Measures the daemon's idle CPU and memory: starts a simulated modem and the
# daemon (two processes), lets the daemon settle, then samples the daemon's
# CPU time and resident memory over a window, and says where the resident
# memory is: the binary's pages, the bbolt file's map, the Go heap and
# stacks (anonymous).
#   usage: scripts/idle-usage.sh [seconds] [box|plain]   (default 60 box)
#     box:   static and stripped, as installed (README Install step 1,
#            scripts/build-all.sh)
#     plain: go build ./cmd/mifos-edge
# BURST=N: N text messages from N numbers arrive once the daemon has
#     settled, and the peak is reported: memory after a busy moment.
# HTTP=ADDR: [http] listen = ADDR (e.g. 127.0.0.1:18080), so the HTTP
#     server (console, API, /healthz, /metrics) is on.
# SCRAPE=S: with HTTP, GET /metrics every S seconds during the window, as
#     Prometheus would (needs curl).
# The environment reaches the daemon, so GOGC=..., GOMEMLIMIT=... or
# GODEBUG=madvdontneed=0 can be compared.
set -euo pipefail
cd "$(dirname "$0")/.."
window=${1:-60}
build=${2:-box}
work=$(mktemp -d)
burst=${BURST:-0}
http=${HTTP:-}
scrape=${SCRAPE:-0}
sim='' daemon=''
# Closing fd 3, the simulator's input, lets wait return.
trap 'kill $sim $daemon 2>/dev/null || true; exec 3>&-; wait 2>/dev/null || true; rm -rf "$work"' EXIT
case $build in
box) CGO_ENABLED=0 go build -trimpath -tags nodemo -ldflags "-s -w" -o "$work/mifos-edge" ./cmd/mifos-edge ;;
plain) go build -o "$work/mifos-edge" ./cmd/mifos-edge ;;
*)
	echo "idle-usage.sh: build must be box or plain, not $build" >&2
	exit 2
	;;
esac
# The box build leaves the simulators out (-tags nodemo); the modem is
# simulated by a build that has them, in its own process.
go build -o "$work/simulator" ./cmd/mifos-edge
cat > "$work/c.toml" <<CFG
[modem]
device = "$work/modem"
[store]
path = "$work/state.db"
[sms]
country = "KE"
CFG
if [ -n "$http" ]; then
	printf '[http]\nlisten = "%s"\n' "$http" >>"$work/c.toml"
fi
# The simulator delivers each line of its input as an incoming SMS; this
# script holds the FIFO open (fd 3) so that it can write a burst.
mkfifo "$work/sim-input"
"$work/simulator" simulate --link "$work/modem" --profile huawei-e173 <"$work/sim-input" >/dev/null 2>&1 &
sim=$!
exec 3>"$work/sim-input"
for _ in $(seq 50); do [ -e "$work/modem" ] && break; sleep 0.1; done
"$work/mifos-edge" run --config "$work/c.toml" 2>"$work/daemon.log" &
daemon=$!
sleep 5
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14+$15}' /proc/$daemon/stat; }
t0=$(ticks)
for i in $(seq "$burst"); do printf '+2547%08d HELP\n' "$i" >&3; done
if [ -n "$http" ] && [ "$scrape" -gt 0 ]; then
	scrapes=0 end=$((SECONDS + window))
	while [ $SECONDS -lt "$end" ]; do
		curl -fsS -o /dev/null "http://$http/metrics" && scrapes=$((scrapes + 1))
		sleep "$scrape"
	done
	echo "scraped /metrics $scrapes times, every ${scrape}s"
else
	sleep "$window"
fi
t1=$(ticks)
[ "$burst" -gt 0 ] && echo "after $burst SMS arrived at the start of the window:"
[ -n "$http" ] && echo "with the HTTP server on $http:"
rss=$(awk '/VmRSS/{print $2}' /proc/$daemon/status)
hwm=$(awk '/VmHWM/{print $2}' /proc/$daemon/status)
anon=$(awk '/RssAnon/{print $2}' /proc/$daemon/status)
file=$(awk '/RssFile/{print $2}' /proc/$daemon/status)
threads=$(awk '/Threads/{print $2}' /proc/$daemon/status)
size=$(wc -c <"$work/mifos-edge")
awk -v t="$((t1-t0))" -v hz="$hz" -v w="$window" -v rss="$rss" -v hwm="$hwm" -v anon="$anon" -v file="$file" -v b="$build" -v size="$size" -v th="$threads" 'BEGIN{
  printf "%s build (%.1f MiB file), window %ds: cpu %.2f%% (%d ticks), RSS %.1f MiB (peak %.1f MiB; anonymous %.1f MiB, file-backed %.1f MiB), %d threads\n", b, size/1048576, w, 100*t/hz/w, t, rss/1024, hwm/1024, anon/1024, file/1024, th }'
# Resident memory per mapping: the binary, the store, anonymous (Go heap,
# stacks, runtime structures), the rest. The binary's and the store's pages
# are clean copies of files: the kernel drops them when memory runs short
# and reads them again when touched; how many it maps at once depends on
# the kernel and file system (a new kernel on ext4 maps most of the binary).
awk -v bin="$work/mifos-edge" -v db="$work/state.db" '
  /^[0-9a-f]+-[0-9a-f]+ / {
    seg = ($2 ~ /x/) ? "code" : ($2 ~ /w/) ? "data" : "read-only data"
    what = ($6 == bin) ? "binary, " seg : ($6 == db) ? "store (bbolt map)" : ($6 == "") ? "anonymous (Go heap, stacks, runtime)" : $6
  }
  /^Rss:/ { kb[what] += $2 }
  END { kb["store (bbolt map)"] += 0; for (w in kb) if (kb[w] >= 64 || w ~ /store/) printf "  %6.1f MiB  %s\n", kb[w]/1024, w }' /proc/$daemon/smaps | sort -rn
