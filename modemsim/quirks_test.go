package modemsim

import (
	"reflect"
	"strings"
	"testing"
)

// The quirks of real modems the daemon must survive, each on demand.

func TestURCInAnswerLandsInsideTheNextAnswer(t *testing.T) {
	s := start(t, "generic", nil)
	c := quiet(t, s)
	s.URCInAnswer("AT+CIMI", "^NDISSTAT: 1,,,IPV4")
	c.send("AT+CGMI\r")
	if l := c.line(); l != "GENERIC" {
		t.Fatalf("an unarmed command got %q first", l)
	}
	c.line() // OK
	c.send("at+cimi\r")
	var got []string
	for l := c.line(); l != "OK"; l = c.line() {
		got = append(got, l)
	}
	if want := []string{"^NDISSTAT: 1,,,IPV4", "639021234567890"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("AT+CIMI answered %q, want %q", got, want)
	}
	if info := c.ok("AT+CIMI"); len(info) != 1 {
		t.Fatalf("the line landed twice: %q", info)
	}
}

func TestLiteralCPMSRange(t *testing.T) {
	p := Profiles()["generic"]
	p.CPMSRange = `+CPMS: ("ME","MT"),"ME",("SM")`
	p.Memories = [3][]string{{"ME", "MT"}, {"ME"}, {"SM"}}
	p.DefaultMemories = [3]string{"ME", "ME", "SM"}
	s := start(t, "generic", func(o *Options) { o.Profile = p })
	c := quiet(t, s)
	if info := c.ok("AT+CPMS=?"); len(info) != 1 || info[0] != p.CPMSRange {
		t.Fatalf("AT+CPMS=? = %q", info)
	}
	c.expectFinal(`AT+CPMS="ME","SM"`, "+CMS ERROR: 302")
	c.ok(`AT+CPMS="ME","ME","SM"`)
}

func TestCREGURCWithModeFirst(t *testing.T) {
	p := Profiles()["generic"]
	p.CREGURCWithMode = true
	for _, tc := range []struct {
		prof Profile
		n    string
		want string
	}{
		{Profiles()["generic"], "1", "+CREG: 5"},
		{Profiles()["generic"], "2", `+CREG: 5,"5E25","605F"`},
		{p, "2", `+CREG: 2,5,"5E25","605F"`},
	} {
		s := start(t, "generic", func(o *Options) { o.Profile = tc.prof })
		c := quiet(t, s)
		c.ok("AT+CREG=" + tc.n)
		s.SetRegistration(5)
		if l := c.line(); l != tc.want {
			t.Fatalf("CREG=%s, mode first %v: URC %q, want %q", tc.n, tc.prof.CREGURCWithMode, l, tc.want)
		}
	}
}

func TestModemLeftInUCS2(t *testing.T) {
	s := start(t, "generic", func(o *Options) { o.CSCS = "UCS2" })
	c := quiet(t, s)
	if info := c.ok("AT+CSCA?"); info[0] != `+CSCA: "002B003200350034003700320032003500300030003000300030",145` {
		t.Fatalf("CSCA in UCS2 = %q", info)
	}
	c.ok(`AT+CSCA="002B003200350034003700300030003000300030003000300031",145`)
	c.ok(`AT+CSCS="GSM"`)
	if info := c.ok("AT+CSCA?"); info[0] != `+CSCA: "+254700000001",145` {
		t.Fatalf("CSCA in GSM = %q", info)
	}
	s.Reboot()
	if info := c.ok("AT+CSCS?"); info[0] != `+CSCS: "GSM"` {
		t.Fatalf("after a reboot CSCS = %q", info)
	}
}

func TestPDUWithoutSMSC(t *testing.T) {
	p := Profiles()["generic"]
	p.PDUWithoutSMSC = true
	s := start(t, "generic", func(o *Options) { o.Profile = p })
	const report = "079119890400202306400C91197909913764511090718384225110907183252200"
	if err := s.PreloadPDU(report, statUnread); err != nil {
		t.Fatal(err)
	}
	c := quiet(t, s)
	want := []string{"+CMGL: 1,0,,25", strings.TrimPrefix(report, "0791198904002023")}
	if info := c.ok("AT+CMGL=4"); !reflect.DeepEqual(info, want) {
		t.Fatalf("CMGL = %q, want %q", info, want)
	}
	if info := c.ok("AT+CMGR=1"); info[1] != want[1] {
		t.Fatalf("CMGR PDU = %q, want %q", info[1], want[1])
	}
}
