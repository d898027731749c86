package modem

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseRangeGroups(t *testing.T) {
	cases := []struct {
		in   string
		want [][]int
	}{
		{"(0-3),(0-3),(0,2),(0,1),(0,1)", [][]int{{0, 1, 2, 3}, {0, 1, 2, 3}, {0, 2}, {0, 1}, {0, 1}}},
		{"(2),(0-1,3),(0,2),(0-1),(0)", [][]int{{2}, {0, 1, 3}, {0, 2}, {0, 1}, {0}}},
		{"(0, 1, 2),( 0 - 2 )", [][]int{{0, 1, 2}, {0, 1, 2}}},
		{"(0-1,4-7),(0-1)", [][]int{{0, 1, 4, 5, 6, 7}, {0, 1}}},
		{"0,0,0,0,1", [][]int{{0}, {0}, {0}, {0}, {1}}},
	}
	for _, c := range cases {
		got, err := parseRangeGroups(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseRangeGroups(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "(0-", "(a)", "(3-1)", "0-1)", "(0-99999)"} {
		if got, err := parseRangeGroups(bad); err == nil {
			t.Errorf("parseRangeGroups(%q) = %v, want an error", bad, got)
		}
	}
}

// The advertised ranges of docs/modem.md §4 New-message indications, each with the tuple a
// store-and-indicate daemon must pick from them.
func TestChooseCNMI(t *testing.T) {
	cases := []struct {
		device, ranges, want string
		indicates            bool
	}{
		{"SIM800L", "(0-3),(0-3),(0,2),(0,1),(0,1)", "2,1,0,0,0", true},
		{"Quectel M26", "(0-3),(0-3),(0,2,3),(0-2),(0,1)", "2,1,0,0,0", true},
		{"Cinterion MC75i", "(0-3),(0,1),(0,2,3),(0,2),(1)", "2,1,0,0,1", true},
		{"Telit", "(0,1,2),(0,1,2,3),(0,2),(0,1,2),(0,1)", "2,1,0,0,0", true},
		{"gammu at-cnmi/01", "(2),(0-1,3),(0,2),(0-1),(0)", "2,1,0,0,0", true},
		{"gammu at-cnmi/03", "(0-3),(0-3),(0-3),(0,1),(0,1)", "2,1,0,0,0", true},
		{"Motorola g20", "(0,3),(0-2),(0,2),(0),(0)", "3,1,0,0,0", true},
		{"Ericsson T39", "(3),(0-1),(0,2),(0),(0)", "3,1,0,0,0", true},
		{"Sierra HL78", "(1,2),(0-2),(0,2),(0-2),(0-1)", "2,1,0,0,0", true},
		{"no mode 2", "(1),(0,1),(0),(0),(0)", "1,1,0,0,0", true},
		{"no +CMTI", "(2),(0,2),(0),(0),(0)", "2,0,0,0,0", false},
		{"bm and ds forced", "(2),(1),(2),(1),(1)", "2,1,2,1,1", true},
		{"two params only", "(0-2),(0-3)", "2,1", true},
	}
	for _, c := range cases {
		groups, err := parseRangeGroups(c.ranges)
		if err != nil {
			t.Fatalf("%s: %v", c.device, err)
		}
		got, ind, err := chooseCNMI(groups)
		if err != nil || got != c.want || ind != c.indicates {
			t.Errorf("%s: chooseCNMI = %q, %v, %v; want %q, %v", c.device, got, ind, err, c.want, c.indicates)
		}
	}
	for _, bad := range []string{"(2),(2,3),(0),(0),(0)", "(2)"} {
		groups, _ := parseRangeGroups(bad)
		if got, _, err := chooseCNMI(groups); err == nil {
			t.Errorf("chooseCNMI(%s) = %q, want an error", bad, got)
		}
	}
}

func TestStoreSelection(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{`("ME","MT","SM","SR"),("ME","MT","SM","SR"),("ME","MT","SM","SR")`, []string{"SM", "SM", "SM"}},
		{`("SM", "ME", "SM_P", "ME_P", "MT"),("SM", "ME"),("SM","MT")`, []string{"SM", "SM", "SM"}},
		{`(("SM","BM","SR"),("SM"))`, []string{"SM", "SM"}},
		{`("ME","MT"),("ME","MT"),("MT")`, []string{"MT", "MT", "MT"}},
		{`("ME"),("MT"),("SR")`, []string{"ME", "MT", "SR"}},
		{`"SM","SM","SM"`, []string{"SM", "SM", "SM"}},
		{`(),(),()`, nil},
		{``, nil},
	}
	for _, c := range cases {
		got := chooseStores(parseStoreGroups(c.in))
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("stores for %s = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseCMGL(t *testing.T) {
	lines := []string{
		"+CMGL: 0,0,,35", "PDU0",
		"+CMGL: 25,1,\"\",130", "PDU25",
		"+CMGL: 1, 0,,23", "PDU1",
		"+CMGL: 2,x,,23", "PDUX",
		"+CMGL: 3,0,,20",
		"+CMGL: 4,3,,20", "PDU4",
	}
	got, bad := parseCMGL(lines)
	want := []listEntry{{0, 0, 35, "PDU0"}, {25, 1, 130, "PDU25"}, {1, 0, 23, "PDU1"}, {4, 3, 20, "PDU4"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("entries = %+v, want %+v", got, want)
	}
	if len(bad) != 2 {
		t.Fatalf("bad = %q, want the stat-x and the PDU-less header", bad)
	}
}

func TestParseCMGR(t *testing.T) {
	cases := []struct {
		header      string
		stat, n     int
		understands bool
	}{
		{"+CMGR: 0,,35", 0, 35, true},
		{"+CMGR: 1,,23", 1, 23, true},
		{`+CMGR: 0,"",25`, 0, 25, true},
		{"+CMGR: ,,27", 0, 27, true},
		{"+CMGR: 0,23", 0, 23, true},
		{"+CMGR: 24", 0, 24, true},
		{"+CMGR: 4,1,,151", 1, 151, true},
		{"+CMGR: 0,,x", 0, 0, false},
	}
	for _, c := range cases {
		stat, n, pdu, ok := parseCMGR([]string{c.header, "ABCD"})
		if ok != c.understands || (ok && (stat != c.stat || n != c.n || pdu != "ABCD")) {
			t.Errorf("%s: got %d,%d,%q,%v", c.header, stat, n, pdu, ok)
		}
	}
	if _, _, _, ok := parseCMGR(nil); ok {
		t.Error("an empty slot parsed as a message")
	}
}

func TestStatusParsers(t *testing.T) {
	if st, i, ok := parseCMTI(`+CMTI: "SM",1,"MMS PUSH",2,1`); !ok || st != "SM" || i != 1 {
		t.Errorf("parseCMTI MMS = %q %d %v", st, i, ok)
	}
	if st, i, ok := parseCMTI(`+CMTI:"ME" , 0`); !ok || st != "ME" || i != 0 {
		t.Errorf("parseCMTI spaces = %q %d %v", st, i, ok)
	}
	if _, _, ok := parseCMTI(`+CMTI: "SM"`); ok {
		t.Error("parseCMTI without index succeeded")
	}
	for line, want := range map[string]int{
		"+CREG: 0,1": 1, `+CREG: 2,5,"2AF5","0B88E350",2`: 5, "+CREG: 2,1,4CA,81DE445": 1, "+CREG: 3": 3,
	} {
		if got, ok := parseCREG([]string{line}); !ok || got != want {
			t.Errorf("parseCREG(%s) = %d %v, want %d", line, got, ok, want)
		}
	}
	if got, ok := parseCSCA([]string{`+CSCA: "",129`}); !ok || got != "" {
		t.Errorf("empty SMSC = %q %v", got, ok)
	}
	if st, u, tot, ok := parseCPMSQuery([]string{`+CPMS: "SM",25,25,"SM",25,25,"SM",25,25`}); !ok || st != "SM" || u != 25 || tot != 25 {
		t.Errorf("parseCPMSQuery = %q %d %d %v", st, u, tot, ok)
	}
	if mr, ok := parseCMGS([]string{"+CMGS: 64,\"24/01/01,10:00:00+12\""}); !ok || mr != 64 {
		t.Errorf("parseCMGS = %d %v", mr, ok)
	}
	if got := signalText(99); got != "no signal or unknown" {
		t.Errorf("signalText(99) = %q", got)
	}
	if got := signalText(28); got != "excellent (-57 dBm)" {
		t.Errorf("signalText(28) = %q", got)
	}
}

func FuzzCapabilityParsers(f *testing.F) {
	for _, s := range []string{"(0-3),(0-3),(0,2),(0,1),(0,1)", "(2),(0-1,3)", `(("SM","BM"),("SM"))`, "((", "0,1",
		`("ME","MT"),"ME",("SM")`, `(),,(  )`, `2,5,"0502","0404736D"`, `002B00390037003200350034`, `"SM",("ME"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if groups, err := parseRangeGroups(s); err == nil {
			if args, _, err := chooseCNMI(groups); err == nil && args == "" {
				t.Fatal("empty CNMI choice without error")
			}
		}
		groups := parseStoreGroups(s)
		stores := chooseStores(groups)
		if len(stores) > 3 {
			t.Fatalf("%d stores chosen", len(stores))
		}
		// Never ask for a store the modem does not offer for that parameter.
		for i, st := range stores {
			if !slices.Contains(groups[i], st) {
				t.Fatalf("parameter %d of %q gets %q, not offered", i+1, s, st)
			}
		}
		if stat, ok := parseRegistration(s); ok && stat < 0 {
			t.Fatalf("registration %d from %q", stat, s)
		}
		if n, ok := decodeUCS2Number(s); ok && strings.Trim(n, "+0123456789") != "" {
			t.Fatalf("%q decoded to %q, not a number", s, n)
		}
		_, _ = parseCSCA([]string{"+CSCA: " + s})
		_, _ = parseCMGL([]string{"+CMGL: " + s, s})
		_, _, _, _ = parseCMGR([]string{"+CMGR: " + s, s})
		_, _, _ = parseCMTI("+CMTI: " + s)
	})
}

func TestParseCOPS(t *testing.T) {
	for _, tc := range []struct {
		line, want string
		ok         bool
	}{
		{`+COPS: 0,0,"Safaricom",2`, "Safaricom", true},
		{`+COPS: 0,0,"MTN-UG",7`, "MTN-UG", true},
		{`+COPS: 0,1,"AIRTEL"`, "AIRTEL", true},
		{`+COPS: 0,2,"63902",2`, "639 02", true},
		{`+COPS: 0,2,"64110"`, "641 10", true},
		{`+COPS: 0`, "", false},
		{`+COPS: 0,0,""`, "", false},
		{`+COPS: 1,0,"Vodacom Tanzania",2`, "Vodacom Tanzania", true},
	} {
		got, ok := parseCOPS([]string{tc.line})
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseCOPS(%q) = %q, %v; want %q, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}
