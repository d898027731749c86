// Package modemsim is a GSM modem simulator on a pseudo-terminal, with
// per-model profiles and faults on demand.
//
// A Sim answers AT commands on a real pty behind a stable symlink, so a host
// opens it like /dev/serial/by-id/... with tarm/serial. It keeps one message
// store (every AT+CPMS memory name maps to it), indicates or routes incoming
// SMS per AT+CNMI, accepts PDU-mode AT+CMGS and publishes what the host sent.
// Framing follows /work/shared/modem/BEHAVIOUR.md: every line is CRLF
// framed, info lines are contiguous, the final code is set off by a blank
// line, and URCs such as +CMTI are held while a command is in progress.
package modemsim
