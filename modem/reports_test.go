package modem

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// A real status report (python-gsmmodem #44): MR 64 to +919790197346, delivered.
const (
	srPDU    = "079119890400202306400C91197909913764511090718384225110907183252200"
	srTPDU   = 25
	srFailed = "0791527422050000062A0C91527421436587423051900350214230819003502146" // MR 42, ST 0x46
)

type reportSink struct {
	fake *fakeModem
	mu   sync.Mutex
	got  []Report
	fail error
}

func (s *reportSink) sink(_ context.Context, r Report) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fake.note(fmt.Sprintf("report %s %d", r.Storage, r.Index))
	if s.fail != nil {
		return s.fail
	}
	s.got = append(s.got, r)
	return nil
}

func (s *reportSink) reports() []Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

func (s *reportSink) setFail(err error) {
	s.mu.Lock()
	s.fail = err
	s.mu.Unlock()
}

func startWithReports(t *testing.T, fake *fakeModem) (*harness, *reportSink) {
	t.Helper()
	rs := &reportSink{fake: fake}
	h := startModem(t, fake, func(cfg *Config, _ *Modem) {
		cfg.StatusReports = true
		cfg.Reports = rs.sink
	})
	return h, rs
}

func TestCNMIWithReports(t *testing.T) {
	cases := []struct {
		ranges string
		sr     bool
		want   []string
	}{
		// ds 2 offered and an SR store: stored reports first.
		{"(0-3),(0-3),(0,2),(0-2),(0,1)", true, []string{"2,1,0,2,0", "2,1,0,1,0", "2,1,0,0,0"}},
		// No SR store to read them from: pushed +CDS first.
		{"(0-3),(0-3),(0,2),(0-2),(0,1)", false, []string{"2,1,0,1,0", "2,1,0,2,0", "2,1,0,0,0"}},
		// SIM800L: ds 0/1 only.
		{"(0-3),(0-3),(0,2),(0,1),(0,1)", true, []string{"2,1,0,1,0", "2,1,0,0,0"}},
		// Cinterion MC75i: ds 0/2, bfr 1.
		{"(0-3),(0,1),(0,2,3),(0,2),(1)", false, []string{"2,1,0,2,1", "2,1,0,0,1"}},
		// Motorola g20: no status reports at all.
		{"(0,3),(0-2),(0,2),(0),(0)", true, []string{"3,1,0,0,0"}},
		{"(0-2),(0-3)", true, []string{"2,1"}},
	}
	for _, c := range cases {
		groups, err := parseRangeGroups(c.ranges)
		if err != nil {
			t.Fatal(err)
		}
		base, _, err := chooseCNMI(groups)
		if err != nil {
			t.Fatal(err)
		}
		if got := cnmiWithReports(groups, base, c.sr); !slices.Equal(got, c.want) {
			t.Errorf("%s sr=%v: %q, want %q", c.ranges, c.sr, got, c.want)
		}
	}
	if cnmiDS("2,1,0,2,0") != 2 || cnmiDS("2,1") != 0 {
		t.Error("cnmiDS")
	}
}

func TestStoredReportsGoToReportSinkThenDeleted(t *testing.T) {
	fake := newFakeModem(t)
	fake.stores["SR"] = map[int]storedMsg{}
	fake.cnmiRange = "(0-3),(0-3),(0,2),(0-2),(0,1)"
	fake.store("SM", 1, 1, srFailed) // one left on the SIM from before
	fake.store("SM", 2, 0, pduA)
	h, rs := startWithReports(t, fake)
	h.waitState("ready")
	if !slices.Contains(fake.commands(), "AT+CNMI=2,1,0,2,0") {
		t.Fatalf("no stored-report CNMI in %q", fake.commands())
	}
	if st := h.m.Status(); st.Reports != reportsStored {
		t.Fatalf("Status.Reports = %q", st.Reports)
	}
	h.eventually("the old report and the message", func() bool { return len(rs.reports()) == 1 && len(h.sink.received()) == 1 })
	r := rs.reports()[0]
	if r.MR != 42 || r.Status != 0x46 || r.Recipient != "+254712345678" || r.Storage != "SM" || r.Index != 1 || r.PDU != srFailed {
		t.Fatalf("report %+v", r)
	}
	if want := time.Date(2024, 3, 18, 9, 30, 5, 0, time.FixedZone("", 3*3600)); !r.Discharge.Equal(want) {
		t.Fatalf("discharge %v, want %v", r.Discharge, want)
	}
	h.eventually("both deleted", func() bool { return len(fake.stored("SM")) == 0 })

	// A new one announced with +CDSI in SR: read, handed over, then deleted.
	fake.store("SR", 4, 0, srPDU)
	fake.urc(`+CDSI: "SR",4`)
	h.eventually("the announced report", func() bool { return len(rs.reports()) == 2 })
	if r := rs.reports()[1]; r.MR != 64 || r.Status != 0 || r.Recipient != "+919790197346" || r.Storage != "SR" || r.Index != 4 {
		t.Fatalf("report %+v", r)
	}
	h.eventually("deleted from SR", func() bool { return len(fake.stored("SR")) == 0 })
	if ev := fake.eventLog(); slices.Index(ev, "report SR 4") > slices.Index(ev, "delete SR 4") {
		t.Fatalf("deleted before the sink had it: %q", ev)
	}
	if len(h.sink.received()) != 1 {
		t.Fatalf("a report reached the message sink: %+v", h.sink.received())
	}
}

func TestReportSinkFailureKeepsReport(t *testing.T) {
	fake := newFakeModem(t)
	fake.stores["SR"] = map[int]storedMsg{}
	fake.cnmiRange = "(0-3),(0-3),(0,2),(0-2),(0,1)"
	h, rs := startWithReports(t, fake)
	rs.setFail(errors.New("disk full"))
	h.waitState("ready")
	fake.store("SR", 0, 0, srPDU)
	fake.urc(`+CDSI: "SR",0`)
	h.eventually("a failed hand-over", func() bool { return slices.Contains(fake.eventLog(), "report SR 0") })
	h.m.Sweep()
	h.eventually("a second try", func() bool {
		n := 0
		for _, e := range fake.eventLog() {
			if e == "report SR 0" {
				n++
			}
		}
		return n >= 2
	})
	if slices.Contains(fake.eventLog(), "delete SR 0") || len(fake.stored("SR")) != 1 {
		t.Fatalf("report deleted although the sink failed: %q", fake.eventLog())
	}
	rs.setFail(nil)
	h.m.Sweep()
	h.eventually("stored, then deleted", func() bool { return len(rs.reports()) == 1 && len(fake.stored("SR")) == 0 })
}

func TestQuectelReportAnnouncedInWrongStore(t *testing.T) {
	fake := newFakeModem(t)
	fake.stores["SR"] = map[int]storedMsg{}
	fake.cnmiRange = "(0-3),(0-3),(0,2,3),(0-2),(0,1)"
	h, rs := startWithReports(t, fake)
	h.waitState("ready")
	h.eventually("initial sweep", func() bool { return fake.countCmd("AT+CMGL=4") >= 2 })
	// Stored in SR, announced as SM 0 (asterisk-chan-quectel PR #75).
	fake.store("SR", 0, 0, srPDU)
	fake.urc(`+CDSI: "SM",0`)
	h.eventually("the report found in SR", func() bool { return len(rs.reports()) == 1 })
	h.eventually("deleted from SR", func() bool { return len(fake.stored("SR")) == 0 })
}

func TestPushedReportsWithoutReinit(t *testing.T) {
	fake := newFakeModem(t)
	fake.cnmiRange = "(0-3),(0-3),(0,2),(0,1),(0,1)" // SIM800L: no ds 2
	h, rs := startWithReports(t, fake)
	h.waitState("ready")
	if !slices.Contains(fake.commands(), "AT+CNMI=2,1,0,1,0") {
		t.Fatalf("no +CDS CNMI in %q", fake.commands())
	}
	h.eventually("initial sweep", func() bool { return fake.countCmd("AT+CMGL=4") == 1 })
	fake.pushCDS(srTPDU, srPDU)
	h.eventually("the pushed report", func() bool { return len(rs.reports()) == 1 })
	if r := rs.reports()[0]; r.MR != 64 || r.Index != -1 || r.Storage != "" {
		t.Fatalf("report %+v", r)
	}
	time.Sleep(150 * time.Millisecond) // longer than bootSettle: a re-init would show
	if n := fake.countCmd("AT+CNMI=?"); n != 1 {
		t.Fatalf("a +CDS asked for made the driver re-initialise (%d inits)", n)
	}
	if n := fake.countCmd("AT+CNMA"); n != 0 {
		t.Fatalf("acknowledged under SMS service 0: %d", n)
	}
}

func TestPushedReportAcknowledgedUnderService1(t *testing.T) {
	fake := newFakeModem(t)
	fake.cnmiRange = "(0-3),(0-3),(0,2),(0,1),(0,1)"
	fake.overrides["AT+CSMS?"] = ok("+CSMS: 1,1,1,1")
	fake.overrides["AT+CSMS=0"] = "\r\n+CMS ERROR: 303\r\n"
	fake.overrides["AT+CNMA"] = ok()
	fake.overrides["AT+CNMA=2"] = ok()
	h, rs := startWithReports(t, fake)
	h.waitState("ready")
	h.eventually("initial sweep", func() bool { return fake.countCmd("AT+CMGL=4") == 1 })
	fake.pushCDS(srTPDU, srPDU)
	h.eventually("acknowledged after the sink", func() bool { return fake.countCmd("AT+CNMA") == 1 })
	if len(rs.reports()) != 1 {
		t.Fatalf("reports %+v", rs.reports())
	}
	// A report that cannot be stored gets a negative acknowledgement: the network sends it again.
	rs.setFail(errors.New("disk full"))
	fake.pushCDS(srTPDU, srPDU)
	h.eventually("negative acknowledgement", func() bool { return fake.countCmd("AT+CNMA=2") == 1 })
}

func TestNoReportsAskedKeepsDS0(t *testing.T) {
	fake := newFakeModem(t)
	fake.cnmiRange = "(0-3),(0-3),(0,2),(0-2),(0,1)"
	fake.store("SM", 1, 0, srPDU)
	h := startModem(t, fake, nil)
	h.waitState("ready")
	if !slices.Contains(fake.commands(), "AT+CNMI=2,1,0,0,0") || h.m.Status().Reports != reportsOff {
		t.Fatalf("reports asked for without StatusReports: %q, %q", fake.commands(), h.m.Status().Reports)
	}
	// Without a report sink a stored report goes to the message sink as before.
	h.eventually("handed to the message sink", func() bool { return len(h.sink.received()) == 1 })
}

// pushCDS writes a +CDS report and its PDU line, as a modem with ds 1 does.
func (f *fakeModem) pushCDS(n int, hexPDU string) {
	f.mu.Lock()
	c := f.conn
	f.mu.Unlock()
	f.send(c, fmt.Sprintf("\r\n+CDS: %d\r\n%s\r\n", n, hexPDU))
}
