package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
)

func init() { register("cache", &CacheCommand{}) }

// CacheCommand empties the box's cache of which client a phone belongs to,
// e.g. after a client reports a stolen phone.
type CacheCommand struct {
	// Stdout and Stderr default to the process's; tests replace them.
	Stdout, Stderr io.Writer
}

const cacheUsage = `usage: mifos-edge cache flush --config FILE [--phone P]

The box remembers which client each phone belongs to, so a balance request
(BAL) can be answered while Mifos cannot be reached ([sms] phone_cache_for,
phone_cache_offline_max). flush forgets what it remembers: every phone, or
only --phone P. The next BAL from such a phone asks Mifos again, and gets no
figures while Mifos cannot be reached. Use it when a client's phone is stolen
or a number is moved to another client in Mifos.

The last balances fetched for each client are kept: they are only reached
through a phone that Mifos confirms again. Works whether the daemon runs or not.`

// Summary implements command.
func (*CacheCommand) Summary() string { return "forget which client each phone belongs to" }

// Run implements command.
func (c *CacheCommand) Run(ctx context.Context, args []string) error {
	if c.Stdout == nil {
		c.Stdout = os.Stdout
	}
	if c.Stderr == nil {
		c.Stderr = os.Stderr
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintln(c.Stderr, cacheUsage)
		return flag.ErrHelp
	}
	if len(args) == 0 || args[0] != "flush" {
		fmt.Fprintln(c.Stderr, cacheUsage)
		if len(args) == 0 {
			return errors.New("cache needs an action: flush")
		}
		return fmt.Errorf("unknown cache action %q (use flush)", args[0])
	}
	fs := flag.NewFlagSet("cache flush", flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	fs.Usage = func() { fmt.Fprintln(c.Stderr, cacheUsage) }
	cfgPath := configFlag(fs)
	rawPhone := fs.String("phone", "", "forget only this phone number")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("cache flush takes only flags, not %q", fs.Arg(0))
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	var a daemon.CacheFlushArgs
	if *rawPhone != "" {
		if a.Phone, err = phone.Normalize(*rawPhone, cfg.SMS.Country); err != nil {
			return fmt.Errorf("--phone: %w", err)
		}
	}
	var res daemon.CacheFlushResult
	_, err = withDaemonOrStore(ctx, cfg, defaultWait, daemon.OpCacheFlush, a, &res, func(db *store.DB) (err error) {
		res, err = daemon.FlushPhoneCache(db, a)
		return err
	})
	if err != nil {
		return err
	}
	switch {
	case a.Phone != "" && res.Removed == 0:
		fmt.Fprintf(c.Stdout, "%s was not in the cache; nothing to forget\n", a.Phone)
	case a.Phone != "":
		fmt.Fprintf(c.Stdout, "forgot which client %s belongs to; its next BAL asks Mifos again\n", a.Phone)
	default:
		fmt.Fprintf(c.Stdout, "forgot %d cached phones; their next BAL asks Mifos again\n", res.Removed)
	}
	return nil
}
