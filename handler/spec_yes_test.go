package handler_test

import (
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/handler"
)

// The SMS command card, section 4, YES:
//
//	YES <PIN>             post my latest held command
//	YES <PIN> <number>    post the held command with that number

const (
	yesNothing = "Nothing of yours is waiting for confirmation. Send the command again if you meant to."
	yesUsage   = "Write: YES <PIN> to post the command you were asked about, or YES <PIN> <number> for one of several."
)

// YES <PIN> posts the latest held command, as if just sent.
func TestYesPostsTheLatestHeldCommand(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.send("PAY " + pin + " 42 S=11")
	s.send("PAY " + pin + " 42 S=11") // held as 2
	wantReplies(t, "YES", s.send("YES "+pin))
	s.wantJournal(aminaSavings(1, 1, units(11), "42"), aminaSavings(3, 1, units(11), "42"))
}

// YES <PIN> <number> posts the held command with that number.
func TestYesWithNumberPostsThatHeldCommand(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.send("PAY " + pin + " 42 S=11")
	s.send("PAY " + pin + " 42 S=12")
	s.send("PAY " + pin + " 42 S=11") // held as 3
	s.send("PAY " + pin + " 42 S=12") // held as 4
	wantReplies(t, "YES 3", s.send("YES "+pin+" 3"))
	s.wantJournal(aminaSavings(1, 1, units(11), "42"), aminaSavings(2, 1, units(12), "42"), aminaSavings(5, 1, units(11), "42"))
	wantReplies(t, "YES 99", s.send("YES "+pin+" 99"), yesNothing)
}

// A held command is used up by its YES: a second YES does not post it again.
func TestYesUsesUpTheHeldCommand(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.send("PAY " + pin + " 42 S=11")
	s.send("PAY " + pin + " 42 S=11")
	s.send("YES " + pin + " 2")
	wantReplies(t, "second YES", s.send("YES "+pin+" 2"), yesNothing)
	wantReplies(t, "YES alone", s.send("YES "+pin), yesNothing)
	if n := len(s.journal()); n != 2 {
		t.Fatalf("%d journal entries, want 2", n)
	}
}

// The confirmed command gets every check again (PIN, scope, ceilings)
// except the repeat check.
func TestYesChecksTheCommandAgainExceptTheRepeat(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{MaxDaily: 30})
	s.send("PAY " + pin + " 42 S=11")
	s.send("PAY " + pin + " 42 S=11") // held as 2
	wantReplies(t, "wrong PIN", s.send("YES 999999 2"), twoLeft)
	s.send("PAY " + pin + " 42 S=12") // the day is at 23 now
	wantReplies(t, "over the day", s.send("YES "+pin+" 2"),
		"Nothing was posted: your SMS postings today would come to 34.00, above the daily limit of 30.00. Ask your branch manager.")
	if n := len(s.journal()); n != 2 {
		t.Fatalf("%d journal entries, want 2", n)
	}
	// The refusal used the held command up too.
	wantReplies(t, "YES again", s.send("YES "+pin+" 2"), yesNothing)
}

// A held command waits 24 hours for its YES.
func TestYesHeldCommandWaits24Hours(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.send("PAY " + pin + " 42 S=11")
	s.send("PAY " + pin + " 42 S=11")
	s.now = s.now.Add(24 * time.Hour)
	wantReplies(t, "YES a day later", s.send("YES "+pin+" 2"), yesNothing)
	if n := len(s.journal()); n != 1 {
		t.Fatalf("%d journal entries, want 1", n)
	}
}

// Nothing held, or a third word that is not a number, is told.
func TestYesNothingHeldOrUnreadable(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	wantReplies(t, "nothing held", s.send("YES "+pin), yesNothing)
	wantReplies(t, "third word", s.send("YES "+pin+" two"), yesUsage)
	wantReplies(t, "four words", s.send("YES "+pin+" 2 3"), yesUsage)
	wantReplies(t, "NDIYO", s.send("ndiyo "+pin), yesNothing)
	s.wantNothingPosted("YES without a held command")
}
