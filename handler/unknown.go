package handler

import "context"

// UnknownText is the reply to anything no handler recognises.
const UnknownText = "Sorry, we did not understand your message. Send HELP for the list of commands."

// Unknown is the fallback handler.
type Unknown struct{}

// Keywords implements Handler; the fallback has none.
func (Unknown) Keywords() []string { return nil }

// Handle implements Handler.
func (Unknown) Handle(_ context.Context, req Request) Result {
	if req.Keyword() == "" {
		return Result{Replies: []Reply{{Text: UnknownText}}, Note: "empty message"}
	}
	return Result{Replies: []Reply{{Text: UnknownText}}, Note: "unknown command " + truncate(req.Keyword(), 20)}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
