#!/usr/bin/env bash
# Speed figures for the closing notes: reply latency through the pty
# simulator (50 ms per +CMGS), store and PDU micro-benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
go test ./e2e -run '^$' -bench ReplyLatency -benchtime "${LATENCY_N:-100}x" -count 1
go test ./store ./pdu -run '^$' -bench . -benchtime 2s -count 1
