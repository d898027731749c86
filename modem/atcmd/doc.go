// Package atcmd is the AT command layer: line framing, URC classification, one command at a time, resync after timeouts.
package atcmd
