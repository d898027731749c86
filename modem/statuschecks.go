package modem

import (
	"fmt"
	"time"
)

// StatusChecks turns a running daemon's modem status into doctor lines, for
// when the daemon holds the device and doctor cannot open it itself.
func StatusChecks(s Status) []Check {
	var out []Check
	add := func(name string, ok bool, detail, fix string) {
		out = append(out, Check{Name: name, OK: ok, Detail: detail, Fix: fix})
	}
	ready := s.State == StateReady
	state := fmt.Sprintf("%s on %s", s.State, s.Device)
	if s.ResolvedDevice != "" && s.ResolvedDevice != s.Device {
		state += " (" + s.ResolvedDevice + ")"
	}
	if s.LastError != "" && !ready {
		state += ": " + s.LastError
	}
	add("modem", ready, state, "see the daemon log (journalctl -u mifos-edge); check the USB cable and power supply")
	if !ready {
		return out
	}
	add("identity", s.IMEI != "", fmt.Sprintf("IMEI %s, IMSI %s", s.IMEI, s.IMSI), "")
	add("registration", s.Registration == 1 || s.Registration == 5, s.RegistrationText,
		"check the SIM has service and credit, and the antenna")
	add("signal", s.SignalRSSI > 0 && s.SignalRSSI != 99, s.SignalText,
		"move the modem or antenna (a USB extension cable to a window helps)")
	add("SMS centre", s.SMSC != "", orNone(s.SMSC), "ask the operator for the SMS centre number and set it with AT+CSCA")
	storageOK := s.StorageTotal == 0 || s.StorageUsed*100 < s.StorageTotal*80
	add("storage", storageOK, fmt.Sprintf("%d of %d slots used", s.StorageUsed, s.StorageTotal),
		"the daemon empties storage as it reads; if it stays full, look for parked messages with 'mifos-edge status'")
	if !s.LastOK.IsZero() {
		add("last answer", time.Since(s.LastOK) < 5*time.Minute, "modem last answered "+s.LastOK.Format(time.DateTime), "")
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none set"
	}
	return s
}
