package modem

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/modemsim"
)

// simHarness runs a Modem over the simulator's pty, as the daemon does.
type simHarness struct {
	t    *testing.T
	sim  *modemsim.Sim
	m    *Modem
	logs *syncBuffer
}

// startOnSim starts the simulator, lets before arm its faults, then runs the
// driver on it.
func startOnSim(t *testing.T, opts modemsim.Options, before func(*modemsim.Sim), tune func(cfg *Config)) *simHarness {
	t.Helper()
	opts.Link = filepath.Join(t.TempDir(), "modem")
	sim, err := modemsim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	if before != nil {
		before(sim)
	}
	logs := &syncBuffer{}
	cfg := Config{
		Device:         sim.Path(),
		CommandTimeout: time.Second,
		ProbeInterval:  time.Hour,
		StatusInterval: time.Hour,
		SweepInterval:  time.Hour,
		Logger:         slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if tune != nil {
		tune(&cfg)
	}
	m := New(cfg, func(context.Context, Inbound) error { return nil })
	m.bootSettle = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(hangGuard):
			t.Error("Run did not return after cancel")
		}
		_ = sim.Close()
	})
	return &simHarness{t: t, sim: sim, m: m, logs: logs}
}

func (h *simHarness) eventually(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(hangGuard)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatalf("timed out waiting for %s; state %+v\ncommands: %q\nlogs:\n%s", what, h.m.Status(), h.sim.Commands(), h.logs.String())
}

func (h *simHarness) count(cmd string) int {
	n := 0
	for _, c := range h.sim.Commands() {
		if c == cmd {
			n++
		}
	}
	return n
}

// Reports that Huawei NDIS sticks and 27.007 modems send unasked land in the
// answers to the identity queries, which have no prefix. The identity must
// stay what the modem said, and a second start-up (after the modem
// restarted) must not report a changed SIM.
func TestIdentityWithReportsInsideTheAnswers(t *testing.T) {
	const imsi = "639021234567890"
	h := startOnSim(t, modemsim.Options{Profile: modemsim.Profiles()["sim800"], IMSI: imsi}, func(sim *modemsim.Sim) {
		sim.URCInAnswer("AT+CGMI", "+CGEV: ME PDN ACT 1")
		sim.URCInAnswer("AT+CIMI", "^SYSINFO:2,4,5,3,1")
	}, nil)
	h.eventually("ready", func() bool { return h.m.Status().State == StateReady })
	st := h.m.Status()
	if st.IMSI != imsi || st.Manufacturer != "SIMCOM_Ltd" {
		t.Fatalf("identity = IMSI %q, manufacturer %q; want %q, %q", st.IMSI, st.Manufacturer, imsi, "SIMCOM_Ltd")
	}
	h.sim.URCInAnswer("AT+CIMI", "^NDISSTAT: 1,,,IPV4")
	h.sim.Reboot()
	// The status poll follows the identity queries, whose results are recorded by then.
	h.eventually("the second start-up", func() bool { return h.count("AT+CSQ") >= 2 })
	if got := h.m.Status().IMSI; got != imsi {
		t.Fatalf("IMSI after the restart = %q, want %q", got, imsi)
	}
	if strings.Contains(h.logs.String(), "the SIM card changed") {
		t.Fatalf("a report inside the AT+CIMI answer was taken for another SIM:\n%s", h.logs.String())
	}
}

// An AT+CPMS=? answer with a bare store between the lists: the daemon must
// ask for stores the modem offers, and the modem must accept them.
func TestStorageFromMixedCPMSRange(t *testing.T) {
	p := modemsim.Profiles()["generic"]
	p.CPMSRange = `+CPMS: ("ME","MT"),"ME",("SM")`
	p.Memories = [3][]string{{"ME", "MT"}, {"ME"}, {"SM"}}
	p.DefaultMemories = [3]string{"ME", "ME", "SM"}
	h := startOnSim(t, modemsim.Options{Profile: p}, nil, nil)
	h.eventually("ready", func() bool { return h.m.Status().State == StateReady })
	if cmds := h.sim.Commands(); !slices.Contains(cmds, `AT+CPMS="ME","ME","SM"`) {
		t.Fatalf("no store selection the modem offers; commands %q", cmds)
	}
	if strings.Contains(h.logs.String(), "refused the message store selection") {
		t.Fatalf("the modem refused the store selection:\n%s", h.logs.String())
	}
}

// A modem that puts <n> in front of the unsolicited +CREG (Sony-Ericsson
// MD400): +CREG: 2,5,... is roaming, not "searching". CREG=2 is what
// ModemManager leaves set, or an init command asks for.
func TestModeFirstRegistrationURC(t *testing.T) {
	p := modemsim.Profiles()["generic"]
	p.CREGURCWithMode = true
	h := startOnSim(t, modemsim.Options{Profile: p}, nil, func(cfg *Config) { cfg.InitCommands = []string{"+CREG=2"} })
	h.eventually("ready", func() bool { return h.m.Status().State == StateReady })
	h.eventually("the initial sweep", func() bool { return h.count("AT+CMGL=4") >= 1 })
	h.sim.SetRegistration(5)
	h.eventually("roaming recorded", func() bool { return h.m.Status().Registration == 5 })
	h.sim.SetRegistration(2)
	h.eventually("searching recorded", func() bool { return h.m.Status().Registration == 2 })
}

// Another program left the modem in UCS2: start-up sets the GSM character
// set, so the service centre reads as a number.
func TestModemLeftInUCS2(t *testing.T) {
	h := startOnSim(t, modemsim.Options{CSCS: "UCS2", SMSC: "+254722500000"}, nil, nil)
	h.eventually("ready", func() bool { return h.m.Status().State == StateReady })
	if got := h.m.Status().SMSC; got != "+254722500000" {
		t.Fatalf("SMSC = %q, want +254722500000", got)
	}
	if !slices.Contains(h.sim.Commands(), `AT+CSCS="GSM"`) {
		t.Fatalf("start-up did not set the GSM character set: %q", h.sim.Commands())
	}
}
