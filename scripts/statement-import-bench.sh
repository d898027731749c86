#!/usr/bin/env bash
# Statement import figure for the closing notes (nothing here asserts on
# time): a generated M-PESA statement of 10,000 paybill payments
# (STATEMENT_ROWS to change it) imported with `mifos-edge import
# mpesa-statement` into the running daemon, through its control socket,
# while the Fineract stand-in answers every request after 20 ms. Reports
# the import's time and rows/s, the daemon's anonymous memory at start and
# at its peak during the import, its file-mapped peak (bbolt's mmap), and
# the CLI process's peak resident memory.
set -euo pipefail
cd "$(dirname "$0")/.."
go test ./e2e -run '^$' -bench 'StatementImport' -benchtime 1x -count 1 -timeout 30m
