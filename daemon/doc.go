// Package daemon runs the pipeline stages: modem to inbox, inbox to handlers, outbox to modem.
package daemon
