package daemon

import (
	"testing"

	"github.com/mifos-edge/mifos-edge/modem"
)

func TestRegistrationReadsModemStatus(t *testing.T) {
	for _, tc := range []struct {
		st    modem.Status
		want  uint64
		state string
	}{
		{modem.Status{State: modem.StateOpening, Registration: -1}, 0, ""},
		{modem.Status{State: modem.StateReady, Registration: -1}, 0, ""},
		{modem.Status{State: modem.StateReady, Registration: 1}, 1, "registered"},
		{modem.Status{State: modem.StateReady, Registration: 5}, 1, "registered"},
		{modem.Status{State: modem.StateReady, Registration: 2}, 2, "lost"},
		{modem.Status{State: modem.StateReady, Registration: 3}, 2, "lost"},
		{modem.Status{State: modem.StateGone, Registration: 1}, 2, "lost"},
		{modem.Status{State: modem.StateUnresponsive, Registration: 1}, 2, "lost"},
	} {
		got, ev := registration(tc.st)
		if got != tc.want || ev.State != tc.state {
			t.Errorf("%s/%d: %d %q, want %d %q", tc.st.State, tc.st.Registration, got, ev.State, tc.want, tc.state)
		}
	}
}
