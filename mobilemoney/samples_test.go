package mobilemoney

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
)

// sample is one annotated notification: a row of testdata/samples.tsv
// (collected from public sources) or of testdata/more.tsv (wordings quoted
// in the same research, not-payments and malformed cases).
type sample struct {
	file   string
	line   int
	parser string // "" for a message no built-in parser reads
	sender string
	text   string
	// expect is "payment", "not-payment" or "malformed:<what the error names>".
	expect   string
	kind     Kind
	txnID    string
	amount   string
	currency string
	phone    string
	name     string
	ref      string
	time     string
	balance  string // "" when the text gives none
	reversed string
}

// sampleOperators maps samples.tsv's operator column to a parser, by
// prefix, first match wins. A row matching none fails the tests, so a new
// sample must be classified.
var sampleOperators = []struct{ prefix, parser string }{
	{"Safaricom M-PESA", "mpesa-ke"},
	{"FAKE (imitates Safaricom M-PESA)", "mpesa-ke"}, // the text reads; the sender is what gives it away
	{"KCB Bank", "mpesa-ke"},
	{"Vodacom M-Pesa DRC", ""}, // not an operator of this box
	{"Vodacom M-Pesa", "mpesa-tz"},
	{"GCash", "gcash"},
	{"MTN MoMo", "mtn-momo"},
	{"Airtel Money", "airtel-money"},
	{"Tigo Pesa", "mixx-tz"},
}

// sampleBalances are the new balances the samples.tsv texts print (the
// file has no column for it), keyed by the text's first 24 characters.
var sampleBalances = map[string]string{
	`BS49OR201 Confirmed.\nYo`: "100.00",
	"EP06JS111 Confirmed. You": "2509.00",
	"UHSNH45W4A Confirmed.You": "1.00",
	"AA64SF914 Confirmed.on 1": "2550.00",
	"QAI9S2XEPH Confirmed.on ": "400.00",
	`BH45UU225 Confirmed.\non`: "50802",
	"KA65SPBDKD Confirmed. on": "80.00",
	"TCH01GAG8Y Confirmed.You": "10.00",
	"Congratulations! TJ56H6J": "123.11",
	"UD4XY98ZWQ Confirmed. on": "12340.00",
	"DFJ9B1FX2B confirmed. Yo": "4000.36",
	"You have received PHP 20": "447.74",
	"*113*R*A bank deposit of": "40400",
	"Trans. ID: 1440225031704": "155.00",
	`New balance is Tsh 138,5`: "138522",
}

// readTSV reads a tab-separated file with a header row into maps.
func readTSV(t testing.TB, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var header []string
	var rows []map[string]string
	for line := 1; sc.Scan(); line++ {
		if sc.Text() == "" {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if header == nil {
			header = cols
			continue
		}
		if len(cols) != len(header) {
			t.Fatalf("%s:%d: %d columns, header has %d", path, line, len(cols), len(header))
		}
		row := map[string]string{"_line": strconv.Itoa(line)}
		for i, h := range header {
			row[h] = cols[i]
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// unescape turns the files' literal "\n" back into the line break the
// operator sent.
func unescape(s string) string {
	return strings.NewReplacer(`\r`, "\r", `\n`, "\n").Replace(s)
}

// loadSamples reads both files.
func loadSamples(t testing.TB) []sample {
	t.Helper()
	var out []sample
	for _, row := range readTSV(t, "testdata/samples.tsv") {
		s := sample{
			file: "samples.tsv", line: atoi(row["_line"]), sender: row["sender_id"], text: unescape(row["text"]),
			kind: KindPayment, txnID: row["txn_id"], amount: row["amount"], currency: row["currency"],
			phone: row["payer_phone"], name: row["payer_name"], ref: row["account_ref"], time: row["timestamp"],
			balance: sampleBalances[firstN(row["text"], 24)],
		}
		found := false
		for _, op := range sampleOperators {
			if strings.HasPrefix(row["operator"], op.prefix) {
				s.parser, found = op.parser, true
				break
			}
		}
		if !found {
			t.Fatalf("samples.tsv:%d: operator %q is not mapped to a parser", s.line, row["operator"])
		}
		switch {
		case s.parser == "":
			s.expect = "not-payment"
		case s.txnID == "":
			// Nothing to post exactly once by: kept for a person.
			s.expect = "malformed:no transaction id"
		default:
			s.expect = "payment"
		}
		out = append(out, s)
	}
	for _, row := range readTSV(t, "testdata/more.tsv") {
		out = append(out, sample{
			file: "more.tsv", line: atoi(row["_line"]), parser: row["parser"], sender: row["sender_id"],
			text: unescape(row["text"]), expect: row["expect"], kind: Kind(row["kind"]), txnID: row["txn_id"],
			amount: row["amount"], currency: row["currency"], phone: row["payer_phone"], name: row["payer_name"],
			ref: row["account_ref"], time: row["timestamp"], balance: row["new_balance"], reversed: row["reversed_txn_id"],
		})
	}
	return out
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func firstN(s string, n int) string {
	if len(s) < n {
		return s
	}
	return s[:n]
}

// parseSampleTime reads the files' ISO times (minutes or seconds, offset).
func parseSampleTime(s string) (time.Time, error) {
	var err error
	for _, layout := range []string{"2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z07:00"} {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

// runSamples runs every sample of parser name and compares every field.
// It fails when the operator has fewer than min samples, so that a broken
// file cannot make the test pass by running nothing.
func runSamples(t *testing.T, name string, min int) {
	p, ok := Lookup(name)
	if !ok {
		t.Fatalf("parser %s not registered", name)
	}
	n := 0
	for _, s := range loadSamples(t) {
		if s.parser != name {
			continue
		}
		n++
		t.Run(s.file+":"+strconv.Itoa(s.line), func(t *testing.T) { checkSample(t, p, s) })
	}
	if n < min {
		t.Fatalf("%s: %d samples, want at least %d", name, n, min)
	}
}

func checkSample(t *testing.T, p Parser, s sample) {
	t.Helper()
	got, err := p.Parse(s.text)
	switch {
	case s.expect == "payment":
		if err != nil {
			t.Fatalf("Parse(%q): %v", s.text, err)
		}
	case s.expect == "not-payment":
		if !errors.Is(err, ErrNotPayment) {
			t.Fatalf("Parse(%q) = %+v, %v; want not a payment", s.text, got, err)
		}
		return
	case strings.HasPrefix(s.expect, "malformed:"):
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("Parse(%q) = %+v, %v; want a malformed-payment error", s.text, got, err)
		}
		if want := strings.TrimPrefix(s.expect, "malformed:"); !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not name %q", err, want)
		}
		if errors.Is(err, ErrNotPayment) {
			t.Fatalf("malformed error %q also says not a payment", err)
		}
	default:
		t.Fatalf("bad expect %q", s.expect)
	}
	if got.Operator != p.Info().Name || got.Source != "sms" {
		t.Errorf("operator %q source %q", got.Operator, got.Source)
	}
	wantKind := s.kind
	if wantKind == "" {
		wantKind = KindPayment
	}
	if got.Kind != wantKind {
		t.Errorf("kind %q, want %q", got.Kind, wantKind)
	}
	eq := func(field, got, want string) {
		if got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	eq("txn_id", got.TxnID, s.txnID)
	eq("currency", got.Currency, s.currency)
	eq("payer_phone", got.PayerPhone, s.phone)
	eq("payer_name", got.PayerName, s.name)
	eq("account_ref", got.AccountRef, s.ref)
	eq("reversed_txn_id", got.ReversedTxnID, s.reversed)
	amount := func(field string, got mifos.Amount, want string) {
		if want == "" {
			if got != 0 {
				t.Errorf("%s = %s, want none", field, got)
			}
			return
		}
		w, err := mifos.ParseAmount(want)
		if err != nil {
			t.Fatalf("expected %s %q: %v", field, want, err)
		}
		if got != w {
			t.Errorf("%s = %s, want %s", field, got, w)
		}
	}
	amount("amount", got.Amount, s.amount)
	amount("new_balance", got.NewBalance, s.balance)
	if got.HasBalance != (s.balance != "") {
		t.Errorf("HasBalance = %v, want %v", got.HasBalance, s.balance != "")
	}
	if s.time == "" {
		if !got.Time.IsZero() {
			t.Errorf("time = %s, want none", got.Time)
		}
		return
	}
	want, err := parseSampleTime(s.time)
	if err != nil {
		t.Fatalf("expected timestamp %q: %v", s.time, err)
	}
	_, gotOff := got.Time.Zone()
	_, wantOff := want.Zone()
	if !got.Time.Equal(want) || gotOff != wantOff {
		t.Errorf("time = %s, want %s", got.Time.Format(time.RFC3339), want.Format(time.RFC3339))
	}
}

func TestMpesaKESamples(t *testing.T)     { runSamples(t, "mpesa-ke", 12) }
func TestMpesaTZSamples(t *testing.T)     { runSamples(t, "mpesa-tz", 3) }
func TestAirtelMoneySamples(t *testing.T) { runSamples(t, "airtel-money", 3) }
func TestMTNMoMoSamples(t *testing.T)     { runSamples(t, "mtn-momo", 4) }
func TestMixxTZSamples(t *testing.T)      { runSamples(t, "mixx-tz", 2) }
func TestGCashSamples(t *testing.T)       { runSamples(t, "gcash", 3) }

// TestSamplesNoParser: a message of an operator the box does not read is
// refused by every parser as not a payment, so it is kept, never posted.
func TestSamplesNoParser(t *testing.T) {
	n := 0
	for _, s := range loadSamples(t) {
		if s.parser != "" {
			continue
		}
		n++
		for _, name := range Names() {
			p, _ := Lookup(name)
			if _, err := p.Parse(s.text); !errors.Is(err, ErrNotPayment) {
				t.Errorf("%s:%d: %s: %v, want not a payment", s.file, s.line, name, err)
			}
		}
	}
	if n == 0 {
		t.Fatal("no sample without a parser")
	}
}
