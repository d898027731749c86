package mpesastatement

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/mobilemoney"
)

// header is the current portal export's header, in its order.
var header = []string{"Receipt No.", "Completion Time", "Initiation Time", "Details", "Transaction Status",
	"Paid In", "Withdrawn", "Balance", "Balance Confirmed", "Reason Type", "Other Party Info",
	"Linked Transaction ID", "A/C No."}

// good is a completed paybill payment; tests change the cells they are about.
func good() map[string]string {
	return map[string]string{
		"Receipt No.": "TJA1B2C3D4", "Completion Time": "10-10-2025 08:15:22",
		"Details": "Pay Bill from 25472****108 - JANE **** WANJIKU Acc. 000123", "Transaction Status": "Completed",
		"Paid In": "1,050.00", "Balance": "13,050.00", "Balance Confirmed": "true", "Reason Type": "Pay Utility",
		"Other Party Info": "25472****108 - JANE **** WANJIKU", "A/C No.": "000123",
	}
}

// build writes a statement with a short preamble, the header and rows.
func build(t testing.TB, cols []string, rows ...map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"Account Holder:", "TEST MFI"})
	_ = w.Write([]string{"Short Code:", "600123"})
	_ = w.Write(cols)
	for _, r := range rows {
		rec := make([]string, len(cols))
		for i, c := range cols {
			rec[i] = r[c]
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return b.Bytes()
}

func readAll(t testing.TB, data []byte) ([]Row, Period) {
	t.Helper()
	rd, err := NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var rows []Row
	for {
		row, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, row)
	}
	return rows, rd.Period()
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, nairobi)
	if err != nil {
		panic(err)
	}
	return t
}

func amt(s string) mifos.Amount {
	a, err := mifos.ParseAmount(strings.TrimPrefix(s, "-"))
	if err != nil {
		panic(err)
	}
	if strings.HasPrefix(s, "-") {
		a = -a
	}
	return a
}

// TestStatement2025 reads a statement laid out as the 2025 portal exports
// it: BOM, CRLF, six preamble rows, quoted amounts, latest row first,
// charges, a sweep, failed/cancelled/declined rows and a totals row.
func TestStatement2025(t *testing.T) {
	data, err := os.ReadFile("testdata/statement-2025.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) || !bytes.Contains(data, []byte("\r\n")) {
		t.Fatal("testdata lost its BOM or CRLF line ends")
	}
	rows, period := readAll(t, data)
	type want struct {
		line    int
		txn     string
		outcome Outcome
		skip    SkipReason
	}
	wants := []want{
		{8, "TJD9DECL01", Skip, SkipNotCompleted},
		{9, "TJD8ZZZ002", Skip, SkipCharge},
		{10, "TJD8ZZZ001", Import, ""},
		{11, "TJC7CANCEL", Skip, SkipNotCompleted},
		{12, "TJC6ABC777", Import, ""},
		{13, "TJC5SETTLE", Skip, SkipWithdrawal},
		{14, "TJB4QRS111", Import, ""},
		{15, "TJB3KLM456", Import, ""},
		{16, "TJA2XYZ789", Skip, SkipNotCompleted},
		{17, "TJA1B2C3D5", Skip, SkipCharge},
		{18, "TJA1B2C3D4", Import, ""},
		{19, "", Skip, SkipTotals},
	}
	if len(rows) != len(wants) {
		t.Fatalf("got %d rows, want %d: %+v", len(rows), len(wants), rows)
	}
	var sum mifos.Amount
	for i, w := range wants {
		r := rows[i]
		if r.Line != w.line || r.Payment.TxnID != w.txn || r.Outcome != w.outcome || r.Skip != w.skip {
			t.Errorf("row %d: got line %d %s %s %s (%s %v), want %+v", i, r.Line, r.Payment.TxnID, r.Outcome, r.Skip, r.Reason, r.Err, w)
		}
		if r.Outcome == Import {
			sum += r.Payment.Amount
		}
	}
	// The preamble's Total Paid In, counted from the imported rows.
	if sum != amt("14300") {
		t.Errorf("imported total %s, want 14300 as the preamble says", sum)
	}
	wantPay := mobilemoney.Payment{
		Operator: "mpesa-ke", Kind: mobilemoney.KindPayment, TxnID: "TJB3KLM456", Amount: amt("2500"),
		Currency: "KES", PayerPhone: "25471****222", PayerName: "PETER **** OCHIENG", AccountRef: "LN-00457",
		Time: at("2025-10-11 14:30:05"), NewBalance: amt("15539.5"), HasBalance: true, Source: "statement",
	}
	if got := rows[7].Payment; got != wantPay {
		t.Errorf("payment:\n got %+v\nwant %+v", got, wantPay)
	}
	if got := rows[7].Payment.Time.Format(time.RFC3339); got != "2025-10-11T14:30:05+03:00" {
		t.Errorf("time %s, want Nairobi's offset", got)
	}
	if got := rows[4].Payment.PayerName; got != "GRACE **** AKINYI" {
		t.Errorf("payer name %q", got)
	}
	if r := rows[1]; r.Linked != "TJD8ZZZ001" || r.ReasonType != "Business Pay Bill Charge" {
		t.Errorf("charge row keeps its link and reason type: %+v", r)
	}
	if r := rows[0]; !strings.Contains(r.Reason, `"Declined"`) {
		t.Errorf("skip reason %q should name the status", r.Reason)
	}
	wantDeclared := Span{From: at("2025-10-10 00:00:00"), To: at("2025-10-13 23:59:59")}
	wantSeen := Span{From: at("2025-10-10 08:15:22"), To: at("2025-10-13 11:02:40")}
	if !period.Declared.From.Equal(wantDeclared.From) || !period.Declared.To.Equal(wantDeclared.To) {
		t.Errorf("declared period %v, want %v", period.Declared, wantDeclared)
	}
	if !period.Seen.From.Equal(wantSeen.From) || !period.Seen.To.Equal(wantSeen.To) {
		t.Errorf("seen period %v, want %v", period.Seen, wantSeen)
	}
	if period.Span() != period.Declared {
		t.Error("the declared period wins over the rows' span")
	}
	if !period.Span().Contains(at("2025-10-13 23:30:00")) || period.Span().Contains(at("2025-10-14 00:00:00")) {
		t.Error("Contains is wrong at the period's end")
	}
}

// TestStatement2017 reads an older layout: another preamble with blank
// lines, a date-only period, columns in another order, no Initiation Time,
// year-first and seconds-less times, unmasked numbers, a bracketed charge.
func TestStatement2017(t *testing.T) {
	data, err := os.ReadFile("testdata/statement-2017.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, period := readAll(t, data)
	if len(rows) != 3 {
		t.Fatalf("got %d rows: %+v", len(rows), rows)
	}
	if r := rows[0]; r.Outcome != Skip || r.Skip != SkipCharge || r.Line != 7 || !r.Payment.Time.Equal(at("2017-04-20 15:51:00")) {
		t.Errorf("row 0: %+v", r)
	}
	if r := rows[1]; r.Outcome != Import || r.Line != 8 || r.Payment.PayerPhone != "254722000111" ||
		r.Payment.PayerName != "JANE DOE" || r.Payment.AccountRef != "4471" || r.Payment.Amount != amt("1053") ||
		!r.Payment.Time.Equal(at("2017-04-20 15:50:41")) {
		t.Errorf("row 1: %+v", r)
	}
	if r := rows[2]; r.Outcome != Import || r.Payment.PayerPhone != "0711000222" || r.Payment.AccountRef != "0009" ||
		r.Payment.Amount != amt("22000") {
		t.Errorf("row 2: %+v", r)
	}
	if !period.Declared.From.Equal(at("2017-04-19 00:00:00")) || !period.Declared.To.Equal(at("2017-04-20 23:59:59")) {
		t.Errorf("declared period %+v", period.Declared)
	}
}

func TestRowDecisions(t *testing.T) {
	tests := []struct {
		name    string
		change  map[string]string
		outcome Outcome
		skip    SkipReason
		column  string // Broken: the column named
	}{
		{"completed paybill", nil, Import, "", ""},
		{"status in other case", map[string]string{"Transaction Status": " completed "}, Import, "", ""},
		{"failed", map[string]string{"Transaction Status": "Failed", "Paid In": "garbage"}, Skip, SkipNotCompleted, ""},
		{"attempted", map[string]string{"Transaction Status": "Attempted"}, Skip, SkipNotCompleted, ""},
		{"no status", map[string]string{"Transaction Status": ""}, Broken, "", "Transaction Status"},
		{"charge", map[string]string{"Reason Type": "Business Pay Bill Charge", "Paid In": "", "Withdrawn": "10.50"}, Skip, SkipCharge, ""},
		{"charge in details only", map[string]string{"Reason Type": "", "Details": "Business Pay Bill Charge", "Paid In": "", "Withdrawn": "-5.00"}, Skip, SkipCharge, ""},
		{"payer typed fees", map[string]string{"Details": "Pay Bill from 25472****108 - JANE Acc. school fees", "A/C No.": "school fees"}, Import, "", ""},
		{"reversal", map[string]string{"Details": "Cancelled:Payment received from 25472****108 - JANE", "Paid In": "", "Withdrawn": "1,050.00", "Linked Transaction ID": "TJA0000001"}, Skip, SkipReversal, ""},
		{"withdrawal positive", map[string]string{"Reason Type": "Business Payment to Customer", "Paid In": "", "Withdrawn": "4,000.00"}, Skip, SkipWithdrawal, ""},
		{"withdrawal negative", map[string]string{"Reason Type": "Withdraw Funds to Bank", "Paid In": "", "Withdrawn": "-4000.00"}, Skip, SkipWithdrawal, ""},
		{"zero paid in", map[string]string{"Paid In": "0.00"}, Skip, SkipZero, ""},
		{"empty paid in", map[string]string{"Paid In": ""}, Skip, SkipZero, ""},
		{"settlement paid in", map[string]string{"Reason Type": "Utility Account to Organization Settlement Account", "Details": "Utility Account to Organization Settlement Account"}, Skip, SkipInternal, ""},
		{"overdraft payment", map[string]string{"Reason Type": "Pay Utility with OD via STK"}, Import, "", ""},
		{"standing order", map[string]string{"Reason Type": "Standing Order Pay Bill"}, Import, "", ""},
		{"lower-case receipt", map[string]string{"Receipt No.": "tja1b2c3d4"}, Import, "", ""},
		{"bad receipt", map[string]string{"Receipt No.": "not a receipt"}, Broken, "", "Receipt No."},
		{"empty receipt", map[string]string{"Receipt No.": ""}, Broken, "", "Receipt No."},
		{"bad paid in", map[string]string{"Paid In": "1,0,0"}, Broken, "", "Paid In"},
		{"three decimals", map[string]string{"Paid In": "1050.005"}, Broken, "", "Paid In"},
		{"negative paid in", map[string]string{"Paid In": "-50.00"}, Broken, "", "Paid In"},
		{"both amounts", map[string]string{"Withdrawn": "10.00"}, Broken, "", "Paid In"},
		{"bad withdrawn", map[string]string{"Withdrawn": "ten"}, Broken, "", "Withdrawn"},
		{"bad time", map[string]string{"Completion Time": "13-13-2025 10:00:00"}, Broken, "", "Completion Time"},
		{"empty time", map[string]string{"Completion Time": ""}, Broken, "", "Completion Time"},
		{"month-first time", map[string]string{"Completion Time": "10/13/2025 10:00"}, Broken, "", "Completion Time"},
		{"unreadable balance is no reason to refuse", map[string]string{"Balance": "n/a"}, Import, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good()
			for k, v := range tt.change {
				r[k] = v
			}
			rows, _ := readAll(t, build(t, header, r))
			if len(rows) != 1 {
				t.Fatalf("got %d rows", len(rows))
			}
			got := rows[0]
			if got.Outcome != tt.outcome || got.Skip != tt.skip {
				t.Fatalf("got %s %s (%s, %v), want %s %s", got.Outcome, got.Skip, got.Reason, got.Err, tt.outcome, tt.skip)
			}
			switch got.Outcome {
			case Broken:
				if got.Err == nil || got.Err.Line != 4 || got.Err.Column != tt.column || !strings.HasPrefix(got.Err.Error(), "row 4: ") {
					t.Errorf("error %+v, want row 4 and column %q", got.Err, tt.column)
				}
			case Skip:
				if got.Reason == "" || got.Err != nil {
					t.Errorf("skip without a reason: %+v", got)
				}
			case Import:
				p := got.Payment
				if p.TxnID != "TJA1B2C3D4" || p.Amount != amt("1050") || p.Currency != "KES" || p.Source != "statement" ||
					p.Operator != "mpesa-ke" || p.Kind != mobilemoney.KindPayment || p.Time.IsZero() {
					t.Errorf("payment %+v", p)
				}
			}
		})
	}
}

func TestPaymentFieldsKeptOnSkip(t *testing.T) {
	r := good()
	r["Transaction Status"] = "Failed"
	rows, _ := readAll(t, build(t, header, r))
	p := rows[0].Payment
	if p.TxnID != "TJA1B2C3D4" || p.Amount != amt("1050") || p.AccountRef != "000123" || p.Time.IsZero() {
		t.Errorf("a skipped row keeps what it says: %+v", p)
	}
}

func TestBrokenRowsDoNotStopTheOthers(t *testing.T) {
	bad := good()
	bad["Receipt No."] = "TJA1B2C3D5"
	bad["Paid In"] = "12O.00" // letter O
	third := good()
	third["Receipt No."] = "TJA1B2C3D6"
	data := build(t, header, good(), bad, third)
	// A row with a stray quote is not valid CSV; the reader says so and goes on.
	data = append(data, []byte("TJA1B2C3D7,10-10-2025 08:15:22,,Pay Bill,Completed,\"5\"0,,,,Pay Utility,x,,1\n")...)
	data = append(data, build(t, header, third)[len("Account Holder:,TEST MFI\nShort Code:,600123\n"):]...)
	rows, _ := readAll(t, data)
	var outcomes []string
	for _, r := range rows {
		outcomes = append(outcomes, string(r.Outcome))
	}
	// The appended block repeats the header: a header row as data is broken.
	want := "import broken import broken broken import"
	if got := strings.Join(outcomes, " "); got != want {
		t.Fatalf("outcomes %q, want %q", got, want)
	}
	if rows[1].Err.Line != 5 || !strings.Contains(rows[1].Err.Error(), `"12O.00"`) {
		t.Errorf("broken row: %v", rows[1].Err)
	}
	if rows[3].Err.Line != 7 || !strings.Contains(rows[3].Err.Error(), "not valid CSV") {
		t.Errorf("bad CSV row: %v", rows[3].Err)
	}
}

func TestHeaderAnywhere(t *testing.T) {
	for _, pre := range []int{0, 1, 11, headerSearchRows - 1} {
		var b bytes.Buffer
		for i := range pre {
			b.WriteString("Preamble " + string(rune('A'+i%26)) + ":,value,,\n")
		}
		b.Write(build(t, header, good())[len("Account Holder:,TEST MFI\nShort Code:,600123\n"):])
		rows, _ := readAll(t, b.Bytes())
		if len(rows) != 1 || rows[0].Outcome != Import || rows[0].Line != pre+2 {
			t.Errorf("preamble of %d rows: %+v", pre, rows)
		}
	}
	var b bytes.Buffer
	for range headerSearchRows {
		b.WriteString("x,y\n")
	}
	b.Write(build(t, header, good()))
	if _, err := NewReader(&b); !errors.Is(err, ErrNotStatement) {
		t.Errorf("a header after %d rows: %v", headerSearchRows, err)
	}
}

func TestColumnsByName(t *testing.T) {
	// Reversed order, names written loosely, trailing empty columns.
	cols := []string{"", "", "a/c no", "Other Party Info", "Linked Transaction ID", "REASON TYPE", "Balance Confirmed",
		"Balance", " Withdrawn ", "Paid  In", "Transaction Status", "Details", "Completion Time", "Receipt No"}
	r := good()
	for _, c := range []string{"a/c no", "Paid  In", " Withdrawn ", "Receipt No", "REASON TYPE"} {
		r[c] = r[headerCanon(c)]
	}
	rows, _ := readAll(t, build(t, cols, r))
	if len(rows) != 1 || rows[0].Outcome != Import || rows[0].Payment.AccountRef != "000123" || rows[0].Payment.Amount != amt("1050") {
		t.Fatalf("%+v", rows)
	}
	// A row shorter than the header (a tool dropped its empty tail) is read
	// with the missing cells empty.
	data := build(t, header)
	data = append(data, "TJA1B2C3D4,10-10-2025 08:15:22,,Pay Bill,Completed,500.00\n"...)
	rows, _ = readAll(t, data)
	if len(rows) != 1 || rows[0].Outcome != Import || rows[0].Payment.AccountRef != "" {
		t.Fatalf("short row: %+v", rows)
	}
}

func headerCanon(c string) string {
	for _, h := range header {
		if headerKey(h) == headerKey(c) {
			return h
		}
	}
	return c
}

func TestNotAStatement(t *testing.T) {
	without := func(drop ...string) []byte {
		var cols []string
		for _, c := range header {
			keep := true
			for _, d := range drop {
				keep = keep && c != d
			}
			if keep {
				cols = append(cols, c)
			}
		}
		return build(t, cols, good())
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, `no header row with the column "Receipt No."`},
		{"other csv", []byte("name,phone\nJane,0712\n"), `it begins "name phone"`},
		{"xlsx", []byte("PK\x03\x04\x14\x00rest"), "Excel workbook (.xlsx)"},
		{"xls", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), "old Excel workbook"},
		{"utf16", []byte("\xff\xfeR\x00e\x00"), "UTF-16"},
		{"html", []byte("  <html><table><tr><td>Receipt No.</td></tr></table></html>"), "web page"},
		{"binary", []byte("abc\x00def"), "binary"},
		{"semicolons", bytes.ReplaceAll(build(t, header, good()), []byte(","), []byte(";")), "separated by semicolons or tabs"},
		{"tabs", bytes.ReplaceAll(build(t, header, good()), []byte(","), []byte("\t")), "separated by semicolons or tabs"},
		{"missing A/C No.", without("A/C No."), `lacks the column "A/C No."`},
		{"missing two", without("Paid In", "Other Party Info"), `lacks the columns "Paid In", "Other Party Info"`},
		{"personal statement", without("Initiation Time", "Balance Confirmed", "Reason Type", "Other Party Info", "Linked Transaction ID", "A/C No."),
			`lacks the columns "Other Party Info", "A/C No."`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(tt.data))
			if !errors.Is(err, ErrNotStatement) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an ErrNotStatement saying %q", err, tt.want)
			}
		})
	}
	_, err := NewReader(bytes.NewReader(without("A/C No.")))
	if !strings.Contains(err.Error(), "header (row 3)") {
		t.Errorf("the error names the header row: %v", err)
	}
}

func TestBOMOnHeaderRow(t *testing.T) {
	data := append([]byte("\xef\xbb\xbf"), build(t, header, good())[len("Account Holder:,TEST MFI\nShort Code:,600123\n"):]...)
	data = bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
	rows, _ := readAll(t, data)
	if len(rows) != 1 || rows[0].Outcome != Import || rows[0].Payment.AccountRef != "000123" {
		t.Fatalf("%+v", rows)
	}
}

func TestPeriodFromRowsWithoutPreamble(t *testing.T) {
	early, late := good(), good()
	early["Completion Time"], early["Transaction Status"] = "01-10-2025 06:00:00", "Failed"
	late["Completion Time"] = "2025-10-31 21:30"
	_, period := readAll(t, build(t, header, late, good(), early))
	if !period.Declared.IsZero() {
		t.Errorf("no preamble period: %+v", period.Declared)
	}
	if s := period.Span(); !s.From.Equal(at("2025-10-01 06:00:00")) || !s.To.Equal(at("2025-10-31 21:30:00")) {
		t.Errorf("span %+v", s)
	}
}

func TestPreamblePeriod(t *testing.T) {
	tests := []struct {
		rec      []string
		from, to string // "" = no period
	}{
		{[]string{"Time Period:", "From 10-10-2025 00:00:00", "To 13-10-2025 23:59:59"}, "2025-10-10 00:00:00", "2025-10-13 23:59:59"},
		{[]string{"Time Period: From 10-10-2025 06:30:00 To 10-10-2025 18:00:00"}, "2025-10-10 06:30:00", "2025-10-10 18:00:00"},
		{[]string{"Statement Period", "01/10/2025", "31/10/2025"}, "2025-10-01 00:00:00", "2025-10-31 23:59:59"},
		{[]string{"Statement Period", "2017-04-19 - 2017-04-20"}, "2017-04-19 00:00:00", "2017-04-20 23:59:59"},
		{[]string{"Time Period:", "From 13-10-2025", "To 10-10-2025"}, "", ""}, // backwards
		{[]string{"Time Period:", "From 10-10-2025"}, "", ""},
		{[]string{"Date of Report: 13-10-2025 12:36:39", "14-10-2025 00:00:00"}, "", ""},
	}
	for _, tt := range tests {
		s, ok := preamblePeriod(tt.rec)
		if tt.from == "" {
			if ok {
				t.Errorf("%q: period %+v, want none", tt.rec, s)
			}
			continue
		}
		if !ok || !s.From.Equal(at(tt.from)) || !s.To.Equal(at(tt.to)) {
			t.Errorf("%q: %+v %v, want %s – %s", tt.rec, s, ok, tt.from, tt.to)
		}
	}
}
