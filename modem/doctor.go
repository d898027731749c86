package modem

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/modem/atcmd"
	"golang.org/x/sys/unix"
)

// Check is one line of `mifos-edge doctor` output.
type Check struct {
	Name   string
	OK     bool
	Detail string // what was found, in plain words
	Fix    string // what to do when not OK
	// Skipped: not run because an earlier check failed; neither OK nor a problem.
	Skipped bool
}

// doctorStep runs one check; blocking means later checks cannot run if it fails.
type doctorStep struct {
	name     string
	blocking bool
	run      func(d *doctor) Check
}

type doctor struct {
	ctx      context.Context
	cfg      Config
	resolved string
	port     *atcmd.Port
}

// Doctor checks the modem step by step for a technician. It stops at the first
// blocking failure and lists the remaining checks as not run. It must not run
// while the daemon holds the modem (the exclusivity check says so).
func Doctor(ctx context.Context, cfg Config) []Check {
	cfg = cfg.withDefaults()
	d := &doctor{ctx: ctx, cfg: cfg}
	defer func() {
		if d.port != nil {
			d.port.Close()
		}
	}()
	steps := []doctorStep{
		{"device", true, (*doctor).checkDevice},
		{"permissions", true, (*doctor).checkPermissions},
		{"modemmanager", false, (*doctor).checkModemManager},
		{"exclusive", true, (*doctor).checkExclusive},
		{"answers AT", true, (*doctor).checkAT},
		{"SIM", true, (*doctor).checkSIM},
		{"registration", false, (*doctor).checkRegistration},
		{"signal", false, (*doctor).checkSignal},
		{"SMS centre", false, (*doctor).checkSMSC},
		{"storage", false, (*doctor).checkStorage},
	}
	var out []Check
	for i, st := range steps {
		c := st.run(d)
		c.Name = st.name
		out = append(out, c)
		if !c.OK && st.blocking {
			for _, rest := range steps[i+1:] {
				out = append(out, Check{Name: rest.name, Skipped: true, Detail: "not run: an earlier check failed"})
			}
			break
		}
	}
	return out
}

func (d *doctor) checkDevice() Check {
	if d.cfg.Device == "" {
		return Check{Detail: "no modem device is configured", Fix: "set modem.device, preferably to a /dev/serial/by-id/... path"}
	}
	resolved, err := resolveDevice(d.cfg.Device)
	if err != nil {
		return Check{Detail: err.Error(), Fix: "plug in the modem, then list /dev/serial/by-id/ and set modem.device to the port that answers AT (often if02 or port 2)"}
	}
	d.resolved = resolved
	detail := resolved
	if resolved != d.cfg.Device {
		detail = fmt.Sprintf("%s -> %s", d.cfg.Device, resolved)
	}
	return Check{OK: true, Detail: detail}
}

func (d *doctor) checkPermissions() Check {
	f, err := os.OpenFile(d.resolved, os.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return Check{Detail: "this user may not open " + d.resolved,
				Fix: "switch on your modem's lines in /etc/udev/rules.d/99-mifos-modem.rules (the ports belong to the service user mifos-edge, mode 0600; not to group dialout), then udevadm control --reload and replug; run doctor as root or as that user"}
		}
		if errors.Is(err, unix.EBUSY) {
			return Check{OK: true, Detail: "the port is opened exclusively by another program (see the next checks)"}
		}
		return Check{Detail: fmt.Sprintf("cannot open %s: %v", d.resolved, err), Fix: "check that the device is a serial port and the modem is powered"}
	}
	f.Close()
	return Check{OK: true, Detail: "the port can be opened for reading and writing"}
}

func (d *doctor) checkModemManager() Check {
	pid, running := modemManagerRunning()
	if !running {
		return Check{OK: true, Detail: "ModemManager is not running"}
	}
	return Check{Detail: fmt.Sprintf("ModemManager is running (pid %d); it probes modems and may change their settings or read their SMS", pid),
		Fix: "tag the modem with ENV{ID_MM_DEVICE_IGNORE}=\"1\" in a udev rule, or run: sudo systemctl disable --now ModemManager"}
}

func (d *doctor) checkExclusive() Check {
	if hs := findHolders(d.resolved); len(hs) > 0 {
		var names []string
		for _, h := range hs {
			names = append(names, fmt.Sprintf("%s (pid %d)", h.name, h.pid))
		}
		return Check{Detail: "the port is in use by " + strings.Join(names, ", "),
			Fix: "stop that program (if it is mifos-edge itself, use its status page instead of doctor)"}
	}
	conn, err := openSerial(d.resolved, d.cfg.Baud)
	if err != nil {
		var locked *errLocked
		if errors.As(err, &locked) {
			return Check{Detail: locked.Error(), Fix: "stop the other program using the modem"}
		}
		return Check{Detail: err.Error(), Fix: "check the cable and that modem.device names the modem's AT port"}
	}
	d.port = atcmd.New(conn, atcmd.WithResyncTimeout(time.Second))
	return Check{OK: true, Detail: "no other program holds the port; opened it exclusively"}
}

func (d *doctor) command(cmd string, expect ...string) ([]string, error) {
	return d.port.Command(d.ctx, cmd, d.cfg.CommandTimeout, expect...)
}

func (d *doctor) checkAT() Check {
	deadline := time.Now().Add(5 * time.Second)
	err := d.port.Escape(d.ctx)
	for err != nil && time.Now().Before(deadline) && d.ctx.Err() == nil && !errors.Is(err, atcmd.ErrClosed) {
		_, err = d.port.Command(d.ctx, "AT", 500*time.Millisecond)
	}
	if !answered(err) {
		return Check{Detail: "the modem does not answer AT: " + err.Error(),
			Fix: "this may be the wrong port of a multi-port modem (try the other /dev/serial/by-id entries), the wrong baud rate, or a modem without power (use a powered USB hub)"}
	}
	_, _ = d.command("ATE0")
	_, _ = d.command("AT+CMEE=1")
	model := ""
	if lines, err := d.command("AT+CGMM"); err == nil && len(lines) > 0 {
		model = " (" + lines[0] + ")"
	}
	return Check{OK: true, Detail: "the modem answers AT" + model}
}

func (d *doctor) checkSIM() Check {
	lines, err := d.command("AT+CPIN?", "+CPIN:")
	state, ok := parseCPIN(lines)
	if code, isCME := atcmd.CMECode(err); isCME && code == 10 {
		return Check{Detail: "no SIM card is inserted", Fix: "power off, insert the SIM card, power on"}
	}
	if !ok {
		msg := "unknown"
		if err != nil {
			msg = err.Error()
		}
		return Check{Detail: "could not read the SIM state: " + msg, Fix: "reseat the SIM card and check it works in a phone"}
	}
	switch state {
	case "READY":
		return Check{OK: true, Detail: "the SIM card is ready"}
	case "SIM PIN":
		if d.cfg.PIN != "" {
			return Check{OK: true, Detail: "the SIM card asks for its PIN; the daemon will send the configured PIN once"}
		}
		return Check{Detail: "the SIM card asks for its PIN and none is configured", Fix: "set modem.pin, or remove the PIN with a phone"}
	case "SIM PUK":
		return Check{Detail: "the SIM card is blocked after wrong PINs (PUK needed)", Fix: "unlock it in a phone with the PUK from the operator"}
	}
	return Check{Detail: "the SIM card reports " + state, Fix: "wait a minute and retry; if it persists reseat the SIM card"}
}

func (d *doctor) checkRegistration() Check {
	lines, err := d.command("AT+CREG?", "+CREG:")
	reg, ok := parseCREG(lines)
	if !ok {
		return Check{Detail: fmt.Sprintf("could not read the registration (%v)", err), Fix: "retry in a minute"}
	}
	if reg == 1 || reg == 5 {
		return Check{OK: true, Detail: registrationText(reg)}
	}
	return Check{Detail: registrationText(reg), Fix: "check the SIM has service and the antenna; registration can take a minute after power-on"}
}

func (d *doctor) checkSignal() Check {
	lines, err := d.command("AT+CSQ", "+CSQ:")
	rssi, ok := parseCSQ(lines)
	if !ok {
		return Check{Detail: fmt.Sprintf("could not read the signal (%v)", err), Fix: "retry in a minute"}
	}
	if rssi == 99 || rssi < 10 {
		return Check{Detail: "signal " + signalText(rssi), Fix: "move the modem or its antenna (a USB extension cable to a window helps)"}
	}
	return Check{OK: true, Detail: "signal " + signalText(rssi)}
}

func (d *doctor) checkSMSC() Check {
	lines, err := d.command("AT+CSCA?", "+CSCA:")
	smsc, ok := parseCSCA(lines)
	if !ok {
		return Check{Detail: fmt.Sprintf("could not read the SMS centre number (%v)", err), Fix: "retry; if it persists set it with init_commands = ['+CSCA=\"+<number>\",145']"}
	}
	if smsc == "" {
		return Check{Detail: "no SMS centre number is set; sending will fail", Fix: "ask the operator for its SMS centre number and add init_commands = ['+CSCA=\"+<number>\",145']"}
	}
	return Check{OK: true, Detail: "SMS centre " + smsc}
}

func (d *doctor) checkStorage() Check {
	lines, err := d.command("AT+CPMS?", "+CPMS:")
	store, used, total, ok := parseCPMSQuery(lines)
	if !ok {
		return Check{Detail: fmt.Sprintf("could not read the message storage (%v)", err), Fix: "retry; the daemon still reads messages by listing them"}
	}
	detail := fmt.Sprintf("%s storage: %d of %d used", store, used, total)
	if total > 0 && used*100 >= total*80 {
		return Check{Detail: detail + "; new SMS stop arriving when it is full", Fix: "start the daemon; it saves and deletes stored messages"}
	}
	return Check{OK: true, Detail: detail}
}
