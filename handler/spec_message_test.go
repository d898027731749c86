package handler_test

import (
	"testing"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/handler"
)

// The SMS command card, sections 1 and 2: what any message gets that no
// command takes, and HELP. (Sender types, floods, reply caps, PIN
// redaction and long messages are the daemon's message stage: see the
// daemon and e2e tests.)

const helpText = "Mifos Edge. Clients: BAL - your loan and savings balances. " +
	"Officers: PAY <PIN> <client> L1=500 S=200 - record payments; " +
	"COLLECT <PIN> <group> ALL [EXCEPT <client>...] - group collection; " +
	"REMIND <PIN> [group] - send arrears reminders. HELP - this list."

// Anything else gets "unknown", whoever sends it.
func TestAnythingElseGetsTheUnknownReply(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	const unknown = "Sorry, we did not understand your message. Send HELP for the list of commands."
	for _, text := range []string{"hello", "", "PAYMENT 482613 42 L1=500", "Pay482613"} {
		wantReply(t, text, s.ask(fineractsim.SeedAminaPhone, text), unknown)
		wantReplies(t, text+" from the officer", s.send(text), unknown)
	}
	s.wantNothingPosted("unknown messages")
}

// HELP (or MSAADA), in any case, lists the commands.
func TestHelpListsTheCommands(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	for _, text := range []string{"HELP", " help me", "Msaada"} {
		wantReply(t, text, s.ask("+254700000002", text), helpText)
	}
}
