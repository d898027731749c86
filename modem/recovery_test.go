package modem

import (
	"slices"
	"testing"
)

// The recovery ladder climbs one rung per mute session and starts over
// once the modem answers an init.
func TestRecoveryLadder(t *testing.T) {
	var l ladder
	var got []rung
	for range 4 {
		got = append(got, l.climb())
	}
	if want := []rung{rungReopen, rungReset, rungReport, rungReport}; !slices.Equal(got, want) {
		t.Fatalf("climb = %v, want %v", got, want)
	}
	l.answered()
	if r := l.climb(); r != rungReopen {
		t.Fatalf("after the modem answered, the first rung is %v, want a reopen", r)
	}
}
