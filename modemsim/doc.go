// Package modemsim is a GSM modem simulator on a pseudo-terminal, with
// per-model profiles and faults on demand, for the end-to-end tests, the
// demo and mifos-edge simulate.
//
// A Sim answers AT commands on a real pty in raw mode behind a stable
// symlink, so a host opens it like /dev/serial/by-id/... with tarm/serial.
// Every line is CRLF framed, information lines are contiguous and the final
// result is set off by a blank line; it echoes until ATE0, renders errors as
// AT+CMEE asks, keeps one message store (every AT+CPMS name maps to it),
// announces or pushes incoming SMS as AT+CNMI asks, accepts PDU-mode
// AT+CMGS and publishes what the host sent. Indications such as +CMTI wait
// until the command in progress has its final; noise lines, when switched
// on, also land between the lines of an answer. Each profile (profile.go)
// carries one family's exact strings, and can switch on quirks of real
// modems: a literal AT+CPMS=? answer, PDUs stored without the service-centre
// field, an unsolicited +CREG with <n> first. Options.CSCS leaves the modem
// in UCS2 as another program would, and URCInAnswer puts an unsolicited line
// inside the next answer to a given command.
//
// When the host asks for status reports (TP-SRR), the simulated network
// answers each part after Options.ReportDelay with a real
// SMS-STATUS-REPORT, pushed as +CDS or stored and announced as +CDSI per
// AT+CNMI ds; SetReports switches to failures, silence, duplicates or an
// unknown reference.
//
// A MoneyOperator (operator.go), attached with AddMoneyOperator, stands
// in for a mobile-money operator's SMS interface, GCash style: it reads
// each SMS the host sends to its number as a payment command, pays from
// a wallet float, and answers after a delay from its alphanumeric sender
// id; faults on demand lose, duplicate, delay or garble its replies, fail
// a number, empty the float or change the MPIN, and Payments lists what it
// really paid.
//
// It is not every modem: it needs no +CNMA for a +CDS, has no text mode, no
// missing or vendor finals beyond what a profile sets, no separate stores,
// no SIM states but ready and PIN- or PUK-locked, and answers in
// milliseconds. docs/modem.md §9 lists what it models and §10 what it does
// not.
package modemsim
