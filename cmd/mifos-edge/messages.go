package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/store"
)

const messagesUsage = `usage: mifos-edge messages --config FILE [--state STATE] [--limit N]

Lists received SMS, newest first, with what the box made of each (NOTE).
--state parked shows the ones kept for a person: texts from an operator the
box could not read as a payment, messages no handler could make sense of.
PINs in officers' commands are blanked out when the message is handled.`

func init() { register("messages", &MessagesCommand{}) }

// MessagesCommand lists received SMS and what became of them.
type MessagesCommand struct{}

// Summary implements command.
func (*MessagesCommand) Summary() string { return "list received SMS and what the box made of them" }

// Run implements command.
func (*MessagesCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("messages", flag.ContinueOnError)
	cfgPath := configFlag(fs)
	state := fs.String("state", "", "only this state: pending, handled, parked")
	limit := fs.Int("limit", 50, "at most this many, newest first")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), messagesUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errors.New("messages takes no arguments besides its options")
	}
	if *limit < 1 {
		return fmt.Errorf("--limit must be at least 1, got %d", *limit)
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	var list []store.Message
	_, err = withDaemonOrStore(ctx, cfg, defaultWait, daemon.OpMessages, daemon.ListArgs{State: *state, Limit: *limit}, &list, func(db *store.DB) (err error) {
		list, err = db.ListMessages(store.MessageState(*state), *limit)
		return err
	})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tFROM\tRECEIVED\tSTATE\tTEXT\tNOTE")
	for _, m := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Sender, stamp(m.ReceivedAt), m.State, oneLine(m.Text, 60), m.Note)
	}
	return tw.Flush()
}

// oneLine keeps a listing to one line per message.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}
