// Package handler holds the SMS keyword handlers, one file per keyword, and
// the registry that routes a message to one of them by its first word.
//
// Handlers never touch the modem: they return replies, which the daemon
// writes to the outbox in the same transaction that marks the message handled.
package handler

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
)

// Request is one assembled inbound SMS.
type Request struct {
	MessageID uint64
	// From is the sender's number in E.164 form: the daemon hands only
	// messages from phone numbers to handlers.
	From string
	// Sender is who the network says sent it: type of number and number.
	Sender     phone.Sender
	Text       string
	Incomplete bool // parts of a long SMS never arrived
	ReceivedAt time.Time
	// Confirmed: the officer confirmed this command with YES <PIN>, so it
	// is posted although it repeats a recent one.
	Confirmed bool
}

// Words returns the message split on whitespace, so "  help " and "HELP" read alike.
func (r Request) Words() []string { return strings.Fields(r.Text) }

// Keyword is the upper-cased first word, or "" for an empty message.
func (r Request) Keyword() string {
	w := r.Words()
	if len(w) == 0 {
		return ""
	}
	return strings.ToUpper(w[0])
}

// Result is what a handler decided; the daemon applies it in one transaction.
type Result struct {
	// Replies go to the sender unless To is set.
	Replies []Reply
	// Alerts are for the branch manager: logged as warnings and sent to
	// [officers] manager_phone when one is set.
	Alerts []string
	// Note is kept on the handled message for the branch manager.
	Note string
	// Apply runs inside the transaction that marks the message handled,
	// for handlers whose work must be durable together with the reply.
	Apply func(tx *store.Tx) error
	// Retry leaves the message pending to be handled again later (a local
	// failure such as a store error); nothing is replied or recorded.
	Retry bool
}

// Reply is one outbound SMS.
type Reply struct {
	To   string // empty: the sender of the request
	Text string
}

// Handler answers the messages whose first word is one of its keywords.
type Handler interface {
	Keywords() []string
	Handle(ctx context.Context, req Request) Result
}

// Registry routes requests to handlers by keyword.
type Registry struct {
	byKeyword map[string]Handler
	fallback  Handler
}

// NewRegistry returns a registry whose unmatched messages go to fallback.
func NewRegistry(fallback Handler) *Registry {
	return &Registry{byKeyword: map[string]Handler{}, fallback: fallback}
}

// Register adds h under each of its keywords; a later handler replaces an earlier one.
func (r *Registry) Register(h Handler) {
	for _, k := range h.Keywords() {
		r.byKeyword[strings.ToUpper(k)] = h
	}
}

// Keywords lists the registered keywords in order.
func (r *Registry) Keywords() []string {
	out := make([]string, 0, len(r.byKeyword))
	for k := range r.byKeyword {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Matches reports whether a handler takes text by its first word; the
// rest goes to the fallback.
func (r *Registry) Matches(text string) bool {
	_, ok := r.byKeyword[Request{Text: text}.Keyword()]
	return ok
}

// Dispatch picks the handler for req and runs it.
func (r *Registry) Dispatch(ctx context.Context, req Request) Result {
	if h, ok := r.byKeyword[req.Keyword()]; ok {
		return h.Handle(ctx, req)
	}
	return r.fallback.Handle(ctx, req)
}

// Default returns the registry for env: HELP always; BAL, and the officer
// commands, which without a Fineract link (env.API nil) say that it is not
// set up; the "send HELP" fallback.
func Default(env *Env) *Registry {
	r := NewRegistry(Unknown{Env: env})
	r.Register(Help{Env: env})
	if env.API == nil {
		r.Register(BalanceUnavailable{Env: env})
	} else {
		r.Register(Balance{Env: env})
	}
	// Each officer command checks the link first (Env.officer).
	r.Register(Pay{Env: env})
	r.Register(Collect{Env: env})
	r.Register(Remind{Env: env})
	r.Register(Yes{Env: env})
	return r
}
