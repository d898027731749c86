package handler

import "context"

// UnknownText is the English reply to anything no handler recognises.
const UnknownText = "Sorry, we did not understand your message. Send HELP for the list of commands."

func init() {
	registerTexts("en", map[string]string{"unknown": UnknownText})
	registerTexts("sw", map[string]string{"unknown": "Samahani, hatukuelewa ujumbe wako. Tuma HELP upate orodha ya amri."})
}

// Unknown is the fallback handler.
type Unknown struct{ Env *Env }

// Keywords implements Handler; the fallback has none.
func (Unknown) Keywords() []string { return nil }

// Handle implements Handler. The note never quotes the message: a typo
// such as "Pay1111" carries a PIN, and notes reach the log.
func (u Unknown) Handle(_ context.Context, req Request) Result {
	note := "empty message"
	if req.Keyword() != "" {
		note = "not a command"
	}
	return Result{Replies: []Reply{{Text: u.Env.texts().Get("unknown")}}, Note: note}
}
