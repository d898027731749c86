package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
)

func init() { register("officer", &OfficerCommand{}) }

// OfficerCommand enrolls, lists and removes the loan officers' phones and
// resets their PINs. PINs are read from standard input, never from the
// command line (which other users can see in ps), and hashed here so only
// the hash reaches the daemon.
type OfficerCommand struct {
	// Stdin, Stdout, Stderr default to the process's; tests replace them.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

const officerUsage = `usage: mifos-edge officer add --config FILE --phone P --staff-id N --name NAME
       mifos-edge officer list --config FILE
       mifos-edge officer remove --config FILE --phone P
       mifos-edge officer reset-pin --config FILE --phone P
       mifos-edge officer unlock --config FILE --phone P
       mifos-edge officer unlock --config FILE --client-id N
       mifos-edge officer unlock --config FILE --budget

Only enrolled phones may send PAY, COLLECT and REMIND. add and reset-pin read
the officer's PIN ([officers] min_pin_length, default 6, to 8 digits) from
standard input: typed twice without echo on a terminal, or one line from a
pipe. Never put a PIN on the command line.

Wrong PINs lock a phone for 15 minutes, then 1 hour, then 24 hours, then
until unlock (or reset-pin). unlock --phone also frees any phone locked by
wrong BAL <account> <PIN> tries; unlock --client-id does the same for a
client's BAL PIN; unlock --budget lifts the box's daily wrong-PIN budget.`

// Summary implements command.
func (*OfficerCommand) Summary() string { return "enroll loan officers' phones and set their PINs" }

// Run implements command.
func (c *OfficerCommand) Run(ctx context.Context, args []string) error {
	if c.Stdin == nil {
		c.Stdin = os.Stdin
	}
	if c.Stdout == nil {
		c.Stdout = os.Stdout
	}
	if c.Stderr == nil {
		c.Stderr = os.Stderr
	}
	if len(args) == 0 {
		fmt.Fprintln(c.Stderr, officerUsage)
		return errors.New("officer needs an action: add, list, remove or reset-pin")
	}
	action := args[0]
	fs := flag.NewFlagSet("officer "+action, flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	fs.Usage = func() { fmt.Fprintln(c.Stderr, officerUsage) }
	cfgPath := configFlag(fs)
	var rawPhone, name, unlockPhone *string
	var staffID, unlockClient *int64
	var unlockBudget *bool
	switch action {
	case "add":
		rawPhone = fs.String("phone", "", "the officer's phone number")
		staffID = fs.Int64("staff-id", 0, "the officer's Fineract staff id")
		name = fs.String("name", "", "the officer's name")
	case "remove", "reset-pin":
		rawPhone = fs.String("phone", "", "the officer's phone number")
	case "unlock":
		unlockPhone = fs.String("phone", "", "the officer's phone to unlock")
		unlockClient = fs.Int64("client-id", 0, "the client whose BAL PIN to unlock")
		unlockBudget = fs.Bool("budget", false, "lift today's wrong-PIN budget of the box")
	case "list":
	default:
		fmt.Fprintln(c.Stderr, officerUsage)
		return fmt.Errorf("unknown officer action %q (use add, list, remove, reset-pin or unlock)", action)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		// The stray argument is not echoed: it may well be a PIN.
		return fmt.Errorf("officer %s takes only flags; a PIN is read from standard input, never from the command line", action)
	}
	var missing []string
	if rawPhone != nil && strings.TrimSpace(*rawPhone) == "" {
		missing = append(missing, "--phone")
	}
	if staffID != nil && *staffID == 0 {
		missing = append(missing, "--staff-id")
	}
	if name != nil && strings.TrimSpace(*name) == "" {
		missing = append(missing, "--name")
	}
	if len(missing) > 0 {
		return fmt.Errorf("officer %s needs %s", action, strings.Join(missing, " and "))
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	var ph string
	if rawPhone != nil {
		if ph, err = phone.Normalize(*rawPhone, cfg.SMS.Country); err != nil {
			return fmt.Errorf("--phone: %w", err)
		}
	}
	if action == "unlock" {
		return c.unlock(ctx, cfg, *unlockPhone, *unlockClient, *unlockBudget)
	}

	switch action {
	case "add":
		hash, err := c.newPINHash(cfg, ph)
		if err != nil {
			return err
		}
		a := daemon.OfficerAddArgs{Phone: ph, StaffID: *staffID, Name: *name, PINHash: hash}
		var info daemon.OfficerInfo
		_, err = withDaemonOrStore(ctx, cfg, defaultWait, daemon.OpOfficerAdd, a, &info, func(db *store.DB) (err error) {
			pepper, err := pinPepper(cfg)
			if err != nil {
				return err
			}
			info, err = daemon.AddOfficer(db, pepper, a)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(c.Stdout, "enrolled officer %s (staff id %d) with phone %s\n", info.Name, info.StaffID, info.Phone)
	case "list":
		var list []daemon.OfficerInfo
		_, err := withDaemonOrStore(ctx, cfg, defaultWait, daemon.OpOfficerList, nil, &list, func(db *store.DB) (err error) {
			list, err = daemon.ListOfficers(db)
			return err
		})
		if err != nil {
			return err
		}
		c.printOfficers(list, time.Now())
	case "remove":
		a := daemon.OfficerPhoneArgs{Phone: ph}
		_, err := withDaemonOrStore(ctx, cfg, defaultWait, daemon.OpOfficerRemove, a, nil, func(db *store.DB) error {
			return daemon.RemoveOfficer(db, a)
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(c.Stdout, "removed officer %s; this phone can no longer send officer commands\n", ph)
	case "reset-pin":
		hash, err := c.newPINHash(cfg, ph)
		if err != nil {
			return err
		}
		a := daemon.OfficerResetPINArgs{Phone: ph, PINHash: hash}
		_, err = withDaemonOrStore(ctx, cfg, defaultWait, daemon.OpOfficerResetPIN, a, nil, func(db *store.DB) error {
			pepper, err := pinPepper(cfg)
			if err != nil {
				return err
			}
			return daemon.ResetOfficerPIN(db, pepper, a)
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(c.Stdout, "new PIN set for %s; any lockout is lifted\n", ph)
	}
	return nil
}

func (c *OfficerCommand) printOfficers(list []daemon.OfficerInfo, now time.Time) {
	if len(list) == 0 {
		fmt.Fprintln(c.Stdout, "no officers enrolled; add one with 'mifos-edge officer add'")
		return
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PHONE\tSTAFF ID\tNAME\tLOCKED UNTIL")
	for _, o := range list {
		locked := ""
		switch {
		case o.LockedUntilReset:
			locked = "until unlocked (mifos-edge officer unlock)"
		case o.LockedUntil.After(now):
			locked = o.LockedUntil.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", o.Phone, o.StaffID, o.Name, locked)
	}
	tw.Flush()
}

// newPINHash reads, checks and hashes a new PIN for ph with the box key's
// pepper. The PIN is held only in this function and never printed.
func (c *OfficerCommand) newPINHash(cfg *config.Config, ph string) (string, error) {
	pepper, err := pinPepper(cfg)
	if err != nil {
		return "", err
	}
	pin, err := c.readPIN(ph, cfg.Officers.MinPINLength)
	if err != nil {
		return "", err
	}
	if err := officer.ValidatePIN(pin, cfg.Officers.MinPINLength); err != nil {
		return "", err
	}
	return officer.HashPIN(pin, pepper)
}

// unlock lifts a lock: an officer's phone, a client's BAL PIN, or the
// box's daily wrong-PIN budget.
func (c *OfficerCommand) unlock(ctx context.Context, cfg *config.Config, rawPhone string, clientID int64, budget bool) error {
	a := daemon.UnlockArgs{ClientID: clientID, Budget: budget}
	given := 0
	if rawPhone != "" {
		ph, err := phone.Normalize(rawPhone, cfg.SMS.Country)
		if err != nil {
			return fmt.Errorf("--phone: %w", err)
		}
		a.Phone = ph
		given++
	}
	if clientID != 0 {
		given++
	}
	if budget {
		given++
	}
	if given != 1 {
		return errors.New("officer unlock needs exactly one of --phone, --client-id or --budget")
	}
	_, err := withDaemonOrStore(ctx, cfg, defaultWait, daemon.OpOfficerUnlock, a, nil, func(db *store.DB) error {
		return daemon.Unlock(db, daemon.PINPolicy(cfg), a)
	})
	if err != nil {
		return err
	}
	switch {
	case a.Phone != "":
		fmt.Fprintf(c.Stdout, "unlocked officer commands from %s\n", a.Phone)
	case a.ClientID != 0:
		fmt.Fprintf(c.Stdout, "unlocked the BAL PIN of client %d\n", a.ClientID)
	default:
		fmt.Fprintln(c.Stdout, "lifted today's wrong-PIN budget; PIN checks resume")
	}
	return nil
}

// readPIN reads the PIN without echo, twice, from a terminal; otherwise one
// line from standard input (for scripts: printf '%s\n' "$PIN" | ...).
func (c *OfficerCommand) readPIN(ph string, minLen int) (string, error) {
	if f, ok := c.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(c.Stderr, "PIN for %s (%d to 8 digits, not shown): ", ph, minLen)
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.Stderr)
		if err != nil {
			return "", fmt.Errorf("read PIN: %w", err)
		}
		fmt.Fprint(c.Stderr, "the same PIN again: ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.Stderr)
		if err != nil {
			return "", fmt.Errorf("read PIN: %w", err)
		}
		if string(first) != string(second) {
			return "", errors.New("the two PINs differ; nothing was changed")
		}
		return strings.TrimSpace(string(first)), nil
	}
	line, err := bufio.NewReader(io.LimitReader(c.Stdin, 256)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read PIN from standard input: %w", err)
	}
	pin := strings.TrimSpace(line)
	if pin == "" {
		return "", errors.New("no PIN on standard input: type it when asked, or pipe one line holding the PIN")
	}
	return pin, nil
}
