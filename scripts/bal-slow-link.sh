#!/usr/bin/env bash
# BAL over a slow branch uplink (3G, VSAT): the Fineract stand-in answers
# every request after SLOW_LINK_MS (default 500 ms). Reports, SMS landed ->
# reply submitted, a client's first BAL (phone lookup, accounts, loans) and
# a repeat BAL (mapping cached): p50 and max. Nothing here asserts on time.
#   usage: scripts/bal-slow-link.sh [clients]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-20}
SLOW_LINK_MS=${SLOW_LINK_MS:-500} \
	go test ./e2e -run '^$' -bench 'BalanceSlowLink' -benchtime "${clients}x" -count 1
