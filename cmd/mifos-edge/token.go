package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/store"
	"github.com/mifos-edge/mifos-edge/token"
)

func init() { register("token", &TokenCommand{}) }

// TokenCommand makes, lists and revokes the bearer tokens of the HTTP API.
type TokenCommand struct {
	Stdout io.Writer // defaults to os.Stdout; tests replace it
}

const tokenUsage = `usage: mifos-edge token add --config FILE --name NAME --scope send,read,payments,gateway
       mifos-edge token list --config FILE
       mifos-edge token revoke --config FILE ID

add prints a new token once: copy it into the integrator's system (or into
Fineract's SMS bridge as its API key, scope gateway). The box keeps only its
hash, so a lost token cannot be shown again: revoke it and add another.
Scopes: send (queue SMS, read their state), read (received SMS, box state),
payments (report payments), gateway (Fineract's message gateway).`

// Summary implements command.
func (*TokenCommand) Summary() string { return "make, list and revoke API tokens" }

// Run implements command.
func (c *TokenCommand) Run(ctx context.Context, args []string) error {
	out := c.Stdout
	if out == nil {
		out = os.Stdout
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(os.Stderr, tokenUsage)
		return errors.New("token needs an action: add, list or revoke")
	}
	action := args[0]
	fs := flag.NewFlagSet("token "+action, flag.ContinueOnError)
	cfgPath := configFlag(fs)
	name := fs.String("name", "", "who the token is for, e.g. gcash-bridge (add)")
	scope := fs.String("scope", "", "comma-separated scopes (add)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), tokenUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	switch action {
	case "add":
		scopes, err := token.ParseScopes(*scope)
		if err != nil {
			return err
		}
		text, id, hash, err := token.New()
		if err != nil {
			return err
		}
		a := daemon.TokenAddArgs{ID: id, Name: *name, Scopes: scopes, Hash: hash}
		var info daemon.TokenInfo
		_, err = withDaemonOrStore(ctx, cfg, defaultWait, daemon.OpTokenAdd, a, &info, func(db *store.DB) (err error) {
			info, err = daemon.AddToken(db, a)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "token %s for %s (%s); shown once, copy it now:\n%s\n", info.ID, info.Name, strings.Join(info.Scopes, ","), text)
		return nil
	case "list":
		var list []daemon.TokenInfo
		_, err = withDaemonOrStore(ctx, cfg, defaultWait, daemon.OpTokenList, nil, &list, func(db *store.DB) (err error) {
			list, err = daemon.ListTokens(db)
			return err
		})
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tCREATED\tLAST USED\tREVOKED")
		for _, t := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, strings.Join(t.Scopes, ","), t.CreatedAt.Format("2006-01-02 15:04"),
				stamp(t.LastUsedAt), stamp(t.RevokedAt))
		}
		return tw.Flush()
	case "revoke":
		if fs.NArg() != 1 {
			fs.Usage()
			return errors.New("token revoke needs the token's id (token list shows it)")
		}
		id := fs.Arg(0)
		_, err = withDaemonOrStore(ctx, cfg, defaultWait, daemon.OpTokenRevoke, id, nil, func(db *store.DB) error {
			return daemon.RevokeToken(db, id)
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "token %s revoked\n", id)
		return nil
	}
	fmt.Fprintln(os.Stderr, tokenUsage)
	return fmt.Errorf("unknown token action %q; use add, list or revoke", action)
}

// stamp shows a time to the minute, or "-" for none.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}
