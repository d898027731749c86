//go:build !nodemo

package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/modemsim"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/store"
)

const demoUsage = `usage: mifos-edge demo [--profile NAME] [--dir DIR] [--http ADDR] [--once] [--debug] [--trace-sms-text]

Runs the daemon against a simulated GSM modem on a pseudo-terminal and a
Fineract stand-in with a seeded branch. Type '<phone number> <text>' (or
just '<text>') to send an SMS as a client; the daemon's replies are printed
as the simulated network delivers them. The branch console, the API and
Fineract's SMS gateway are served on --http.
` + traceHelp

func init() { register("demo", &DemoCommand{}) }

// DemoCommand runs the daemon against the modem simulator: no hardware needed.
type DemoCommand struct{}

// Summary implements command.
func (*DemoCommand) Summary() string { return "run the daemon with a simulated modem (no hardware)" }

const (
	demoClient  = "+254712345678" // Amina in the stand-in's seed data
	demoOfficer = "+254722000012" // Peter, staff 12, officer of group 7
	demoPIN     = "482613"
)

// enrollDemoOfficer puts the seed data's loan officer on the box.
func enrollDemoOfficer(db *store.DB, pepper officer.Pepper) error {
	hash, err := officer.HashPIN(demoPIN, pepper)
	if err != nil {
		return err
	}
	err = db.AddOfficer(store.Officer{Phone: demoOfficer, StaffID: fineractsim.SeedStaffPeter, Name: "Peter Otieno", PINHash: hash})
	if errors.Is(err, store.ErrOfficerExists) {
		return nil
	}
	return err
}

// Run implements command.
func (*DemoCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory for the demo's store and device link (default: a new temporary one)")
	profile := fs.String("profile", "huawei-e173", "simulated modem model: generic, sim800, quectel-ec25, huawei-e173, cinterion-mc75i")
	httpAddr := fs.String("http", "127.0.0.1:8080", "address of the branch console, API and gateway (\"\": off)")
	once := fs.Bool("once", false, "send BAL as a client, print the reply and exit (a smoke test)")
	trace := traceFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), demoUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	prof, ok := modemsim.Profiles()[*profile]
	if !ok {
		return fmt.Errorf("unknown --profile %q", *profile)
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "mifos-edge-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	logLevel := slog.LevelWarn
	if trace.debug() {
		logLevel = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel}))
	// The daemon's AT trace shows the dialogue; the simulator's own account
	// of it would only repeat every line (and show message text).
	simLog := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: max(logLevel, slog.LevelInfo)}))

	sim, err := modemsim.Start(modemsim.Options{Profile: prof, Link: filepath.Join(*dir, "modem"), Logger: simLog.With("component", "simulator")})
	if err != nil {
		return fmt.Errorf("start modem simulator: %w", err)
	}
	defer sim.Close()

	fin, err := fineractsim.Start(fineractsim.Options{Logger: log.With("component", "fineract-standin")})
	if err != nil {
		return fmt.Errorf("start Fineract stand-in: %w", err)
	}
	defer fin.Close()
	fin.Seed()
	// Play the day of group 7's meeting, so COLLECT has a collection sheet.
	if err := moveToMeetingDay(ctx, fin); err != nil {
		return err
	}

	cfg := &config.Config{}
	cfg.Modem.Device = sim.Path()
	cfg.Store.Path = filepath.Join(*dir, "state.db")
	cfg.SMS.Country = "KE"
	cfg.SMS.DeliveryReports = true // as a file that leaves it out gets
	cfg.Mifos = config.Mifos{BaseURL: fin.URL(), Tenant: "default", Username: "mifos", Password: "password", PaymentTypeID: 1, BoxID: "DEMO"}
	// M-PESA payments into the demo paybill post to Fineract.
	cfg.MobileMoney = config.MobileMoney{Operators: []string{"mpesa-ke"}, PaymentTypeID: fineractsim.SeedPaymentMpesa}
	if *httpAddr != "" && !*once {
		cfg.HTTP.Listen = *httpAddr
		cfg.FineractHooks.Events = config.HookEvents
		// Loans paid out through the Daraja stand-in, whose results come
		// back to the console's HTTP server.
		dd, err := setUpDemoDisbursement(cfg, fin, *dir, *httpAddr)
		if err != nil {
			return err
		}
		defer dd.Close()
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	d, err := daemon.Open(cfg, daemon.Options{Logger: log, TraceSMSText: *trace.smsText})
	if err != nil {
		return err
	}
	if err := enrollDemoOfficer(d.Store(), d.Pepper()); err != nil {
		return err
	}
	var web *demoWeb
	if cfg.HTTP.Listen != "" {
		if web, err = setUpDemoWeb(d.Store(), fin, cfg.HTTP.Listen); err != nil {
			return err
		}
		web.socket = cfg.Control.Socket
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	if *once {
		if err := sim.Deliver(modemsim.Incoming{From: demoClient, Text: "BAL", Class: -1}); err != nil {
			return err
		}
		select {
		case s := <-sim.SentC():
			fmt.Printf("client %s sent: BAL\ndaemon replied to %s: %s\n", demoClient, s.To, s.Text)
			waitOutboxSettled(d.Store(), 5*time.Second)
		case <-time.After(30 * time.Second):
			cancel()
			<-done
			return errors.New("no reply within 30 s")
		case err := <-done:
			return fmt.Errorf("daemon stopped: %v", err)
		}
		cancel()
		return <-done
	}

	fmt.Printf(`Mifos Edge demo: the daemon is driving a simulated %s modem at %s.
Store: %s   Config you could reuse: modem.device=%q store.path=%q

Fineract stand-in (seeded branch data): %s

Play a client or the loan officer: type a line and press Enter.
  BAL                                          client Amina (%s): her loans and savings
  +254733444555 BAL                            client John, whose loan is in arrears
  +254700000002 BAL                            a phone that is not registered
  %s PAY %s 42 L1=500 S=200         officer Peter records Amina's payments
  %s COLLECT %s 7 ALL EXCEPT 44     officer Peter records group 7's meeting
  %s REMIND %s                      officer Peter sends arrears reminders
  (the same PAY again)                         held as a repeat; Peter confirms with YES <PIN>
  MPESA SKQ7H2ZP4M Confirmed. on 1/12/26 at 9:05 AM Ksh1,200.00 received from MARY WANJIKU 0712***678. Account Number 981 New Utility balance is Ksh51,200.00
                                               M-PESA's paybill notice: posted once to loan 981, Amina
                                               gets a receipt (the same words from a number: a forgery)
  name:0722000012 PAY %s 42 S=9000          a bulk-SMS sender NAME spelling Peter's number:
                                               not Peter, nothing posted, no reply
Replies appear below as the simulated network delivers them. Ctrl-C to stop.
`, prof.Name, sim.Path(), cfg.Store.Path, cfg.Modem.Device, cfg.Store.Path, fin.URL(), demoClient,
		demoOfficer, demoPIN, demoOfficer, demoPIN, demoOfficer, demoPIN, demoPIN)
	commands := func(context.Context, string) bool { return false }
	if web != nil {
		fmt.Print(web.banner())
		commands = web.command
	}
	go printSent(ctx, sim)
	go readClientLines(ctx, os.Stdin, sim, commands)
	return <-done
}

func printSent(ctx context.Context, sim *modemsim.Sim) {
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-sim.SentC():
			fmt.Printf("<- to %s (%d part(s)): %s\n", s.To, s.Parts, s.Text)
		}
	}
}

// readClientLines turns "[sender] text" lines into SMS from that sender: a
// number, an operator's name, or "name:<text>" for a sender name chosen
// by a bulk-SMS customer (which may spell a phone number).
func readClientLines(ctx context.Context, r io.Reader, sim *modemsim.Sim, command func(context.Context, string) bool) {
	sc := bufio.NewScanner(r)
	for sc.Scan() && ctx.Err() == nil {
		line := strings.TrimSpace(sc.Text())
		if line == "" || command(ctx, line) {
			continue
		}
		from, text := demoClient, line
		if f := strings.Fields(line); len(f) > 1 && looksLikeSender(f[0]) {
			from, text = f[0], strings.TrimSpace(strings.TrimPrefix(line, f[0]))
		}
		in := modemsim.Incoming{From: from, Text: text, Class: -1}
		switch {
		case strings.HasPrefix(from, "name:"):
			in.From, in.SenderType = strings.TrimPrefix(from, "name:"), "alphanumeric"
		case strings.HasPrefix(from, "0"):
			in.SenderType = "national" // how a network delivers a number of its own country
		}
		if err := sim.Deliver(in); err != nil {
			fmt.Println("could not deliver:", err)
			continue
		}
		fmt.Printf("-> from %s: %s\n", from, text)
	}
}

func looksLikeSender(s string) bool {
	if strings.HasPrefix(s, "+") && len(s) > 4 {
		return true
	}
	return s == "MPESA" || s == "AIRTEL" || strings.HasPrefix(s, "07") || (strings.HasPrefix(s, "name:") && len(s) > 5)
}

// waitOutboxSettled gives the daemon time to read the modem's last answer
// before the demo stops it, so a smoke run ends without a spurious warning.
func waitOutboxSettled(db *store.DB, limit time.Duration) {
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if st, err := db.Stats(); err == nil && st.Queued == 0 && st.Submitting == 0 {
			return
		}
	}
}

// moveToMeetingDay sets the stand-in's business date to the seeded group's
// next meeting: Fineract only gives a collection sheet on a meeting day.
func moveToMeetingDay(ctx context.Context, fin *fineractsim.Server) error {
	c, err := mifos.New(mifos.Config{BaseURL: fin.URL(), Tenant: "default", Username: "mifos", Password: "password"})
	if err != nil {
		return err
	}
	g, err := c.Group(ctx, fineractsim.SeedGroupUmoja)
	if err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	if g.Meeting == nil || len(g.Meeting.NextRecurringDates) == 0 {
		return errors.New("demo data: group 7 has no meeting dates")
	}
	fin.SetBusinessDate(g.Meeting.NextRecurringDates[0].Time(time.Local))
	return nil
}
