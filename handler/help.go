package handler

import "context"

// HelpText lists what clients and officers can send. It fits in two SMS.
const HelpText = "Mifos Edge. Clients: BAL - your loan and savings balances. " +
	"Officers: PAY <PIN> <client> L1=500 S=200 - record payments; " +
	"COLLECT <PIN> <group> ALL [EXCEPT <client>...] - group collection; " +
	"REMIND <PIN> [group] - send arrears reminders. HELP - this list."

// Help answers HELP with the command list.
type Help struct{}

// Keywords implements Handler.
func (Help) Keywords() []string { return []string{"HELP"} }

// Handle implements Handler.
func (Help) Handle(context.Context, Request) Result {
	return Result{Replies: []Reply{{Text: HelpText}}, Note: "help sent"}
}
