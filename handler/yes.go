package handler

import (
	"context"
	"strconv"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
)

func init() {
	registerTexts("en", map[string]string{
		"yes.nothing": "Nothing of yours is waiting for confirmation. Send the command again if you meant to.",
		"yes.usage":   "Write: YES <PIN> to post the command you were asked about, or YES <PIN> <number> for one of several.",
	})
	registerTexts("sw", map[string]string{
		"yes.nothing": "Hakuna amri yako inayosubiri uthibitisho. Tuma amri tena kama ulikusudia.",
		"yes.usage":   "Andika: YES <PIN> kuingiza amri uliyoulizwa, au YES <PIN> <namba> kwa mojawapo ya kadhaa.",
	})
}

// heldFor is how long a held command can be confirmed.
const heldFor = 24 * time.Hour

// Yes confirms a command held because it repeated a recent one:
// YES <PIN> posts the officer's latest held command, YES <PIN> <id> the
// held command with that id. The command is then handled as if sent now,
// with every other check (PIN, scope, ceilings) applied again.
type Yes struct{ Env *Env }

// Keywords implements Handler.
func (Yes) Keywords() []string { return []string{"YES", "NDIYO"} }

// Handle implements Handler.
func (y Yes) Handle(ctx context.Context, req Request) Result {
	env := y.Env
	off, res, ok := env.officer(req)
	if !ok {
		return res
	}
	words := req.Words()
	var want uint64
	switch len(words) {
	case 2:
	case 3:
		id, err := strconv.ParseUint(words[2], 10, 64)
		if err != nil || id == 0 {
			return reply(env.texts().Get("yes.usage"), "YES not understood")
		}
		want = id
	default:
		return reply(env.texts().Get("yes.usage"), "YES not understood")
	}
	var held []store.HeldCommand
	if err := env.DB.View(func(tx *store.Tx) (err error) {
		held, err = tx.HeldCommands(off.Phone)
		return err
	}); err != nil {
		return Result{Retry: true, Note: "held commands unreadable: " + err.Error()}
	}
	var h store.HeldCommand
	found := false
	for _, c := range held {
		if env.now().Sub(c.HeldAt) < heldFor && (want == 0 || c.ID == want) {
			h, found = c, true
			break
		}
	}
	if !found {
		return reply(env.texts().Get("yes.nothing"), "YES: nothing held")
	}
	inner := req
	inner.Text = h.Keyword + " " + words[1] + " " + h.Args
	inner.Confirmed = true
	var out Result
	switch h.Keyword {
	case "PAY":
		out = Pay{Env: env}.Handle(ctx, inner)
	case "COLLECT":
		out = Collect{Env: env}.Handle(ctx, inner)
	default:
		return reply(env.texts().Get("yes.nothing"), "YES: held command of unknown kind "+h.Keyword)
	}
	if out.Retry {
		return out
	}
	// The held command is used up by this answer, whatever it was: a
	// second YES must not post it again.
	apply := out.Apply
	out.Apply = func(tx *store.Tx) error {
		if err := tx.Release(off.Phone, h.ID); err != nil {
			return err
		}
		if apply != nil {
			return apply(tx)
		}
		return nil
	}
	out.Note = "YES for held message " + strconv.FormatUint(h.ID, 10) + ": " + out.Note
	return out
}
