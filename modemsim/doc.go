// Package modemsim is a GSM modem simulator on a pseudo-terminal, with per-model profiles and faults on demand.
package modemsim
