#!/usr/bin/env bash
# Speed figures for the closing notes. Nothing here asserts on time.
#  - SMS landed -> reply submitted through the pty simulator (50 ms per +CMGS)
#  - BAL round trip through the simulator and the Fineract stand-in over HTTP
#  - an M-PESA notification landed -> the repayment in the stand-in
#  - journal backlog drained into the stand-in answering in 20 ms (postings/s, heap)
#  - store, PDU and sync micro-benchmarks
set -euo pipefail
cd "$(dirname "$0")/.."
go test ./e2e -run '^$' -bench 'ReplyLatency|BalanceRoundTrip|NotificationToPosted' -benchtime "${LATENCY_N:-100}x" -count 1
go test ./posting -run '^$' -bench 'DrainBacklogStandin' -benchtime 1x -count 1
go test ./store ./pdu -run '^$' -bench . -benchtime 2s -count 1
