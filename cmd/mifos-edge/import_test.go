package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/mobilemoney"
	"github.com/mifos-edge/mifos-edge/store"
)

// importBox is a box with mobile money on, no daemon (the socket does not
// exist), and the Fineract stand-in seeded.
type importBox struct {
	t       *testing.T
	dir     string
	cfgPath string
}

func newImportBox(t *testing.T) *importBox {
	t.Helper()
	fin, err := fineractsim.Start(fineractsim.Options{NoRequestLog: true, TimeZone: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fin.Close() })
	fin.Seed()
	dir := t.TempDir()
	b := &importBox{t: t, dir: dir, cfgPath: filepath.Join(dir, "mifos-edge.toml")}
	writeMode(t, b.cfgPath, "[modem]\ndevice = \""+filepath.Join(dir, "no-modem")+"\"\n[store]\npath = \""+filepath.Join(dir, "state.db")+"\"\n"+
		"[mifos]\nbase_url = \""+fin.URL()+"\"\ntenant = \"default\"\nusername = \"mifos\"\npassword = \"password\"\n"+
		"[mobile_money]\noperators = [\"mpesa-ke\"]\npayment_type_id = "+strconv.Itoa(fineractsim.SeedPaymentMpesa)+"\n", 0o600)
	return b
}

// withCore runs f with the payments core on the box's store, as the SMS
// path would record payments before the import.
func (b *importBox) withCore(f func(db *store.DB, record func(mobilemoney.Payment))) {
	t := b.t
	t.Helper()
	cfg, err := loadConfig(b.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(cfg.Store.Path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	core, err := daemon.NewLocalPayments(cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	f(db, func(p mobilemoney.Payment) {
		t.Helper()
		if _, _, err := core.Record(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	})
}

func (b *importBox) run(args ...string) (string, error) {
	var out bytes.Buffer
	err := (&ImportCommand{Stdout: &out}).Run(context.Background(), append([]string{"mpesa-statement", "--config", b.cfgPath}, args...))
	return out.String(), err
}

func (b *importBox) payments() []store.Payment {
	b.t.Helper()
	var list []store.Payment
	b.withCore(func(db *store.DB, _ func(mobilemoney.Payment)) {
		var err error
		if list, err = db.ListPayments("", 0); err != nil {
			b.t.Fatal(err)
		}
	})
	return list
}

func (b *importBox) journal() []store.JournalEntry {
	b.t.Helper()
	var list []store.JournalEntry
	b.withCore(func(db *store.DB, _ func(mobilemoney.Payment)) {
		var err error
		if list, err = db.ListJournal("", 0); err != nil {
			b.t.Fatal(err)
		}
	})
	return list
}

var nairobi = time.FixedZone("EAT", 3*3600)

// The reader's statement, with one payment naming Amina's loan 981 and a
// broken row added before its totals line.
func testStatement(t *testing.T, dir string) string {
	t.Helper()
	raw, err := os.ReadFile("../../mobilemoney/mpesastatement/testdata/statement-2025.csv")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(raw), "000123", "981")
	broken := "TJZ9BROKEN,11-10-2025 10:00:00,,Pay Bill from 25470****111 - X,Completed,12O.00,,,true,Pay Utility,25470****111 - X,,981\n"
	i := strings.Index(s, ",,,Totals")
	if i < 0 {
		t.Fatal("the testdata statement has no totals line")
	}
	s = s[:i] + broken + s[i:]
	path := filepath.Join(dir, "statement.csv")
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// On a store with no daemon: a dry run records nothing; the import
// records the statement's payments once (one matched to a loan and
// journaled, the rest in suspense), counts an SMS receipt it already had
// as known, reports the broken row, and lists the SMS receipts inside the
// period that the statement lacks; importing again posts nothing.
func TestImportMpesaStatementOnTheStore(t *testing.T) {
	b := newImportBox(t)
	file := testStatement(t, b.dir)
	b.withCore(func(_ *store.DB, record func(mobilemoney.Payment)) {
		sms := func(txn string, amount int64, at time.Time, ref string) {
			record(mobilemoney.Payment{Operator: "mpesa-ke", Kind: mobilemoney.KindPayment, TxnID: txn, Amount: mifos.Amount(amount * 1_000_000),
				Currency: "KES", AccountRef: ref, Time: at, Source: "sms"})
		}
		sms("TJB3KLM456", 2500, time.Date(2025, 10, 11, 14, 30, 5, 0, nairobi), "LN-00457") // on the statement
		sms("TJB5FORGED", 9000, time.Date(2025, 10, 12, 13, 0, 0, 0, nairobi), "981")       // inside the period, not on it
		sms("TJA2XYZ789", 500, time.Date(2025, 10, 10, 9, 2, 11, 0, nairobi), "0")          // the statement has it as Failed
		sms("TJE1LATER1", 700, time.Date(2025, 10, 20, 9, 0, 0, 0, nairobi), "981")         // after the period
	})
	before := len(b.journal())

	out, err := b.run("--dry-run", file)
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	for _, w := range []string{"DRY RUN: nothing was recorded", "Would post:     4 new payments, KES 11,800.00", "Already known:  1 (not posted again): suspense 1; first seen by sms 1",
		"Broken rows:    1", `row 19: Paid In "12O.00": not an amount`} {
		if !strings.Contains(out, w) {
			t.Errorf("dry run lacks %q:\n%s", w, out)
		}
	}
	if n := len(b.payments()); n != 4 {
		t.Fatalf("the dry run recorded something: %d payments, want the 4 SMS ones", n)
	}

	out, err = b.run(file)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	t.Log(out)
	for _, w := range []string{
		"imported on the store (no daemon runs)",
		"13 rows read; period 2025-10-10 00:00:00 +03:00 to 2025-10-13 23:59:59 +03:00 (as the file declares it)",
		"Posted now:     4 new payments, KES 11,800.00",
		"1 matched to an account, journaled to post to Mifos",
		"3 to suspense",
		"0 waiting for Mifos",
		"Already known:  1 (not posted again): suspense 1; first seen by sms 1",
		"Skipped:        7: charge 2, not-completed 3, totals 1, withdrawal 1",
		"Broken rows:    1 (nothing posted from them",
		`row 19: Paid In "12O.00": not an amount`,
		"TJC6ABC777  KES 10,000.00",
		"Receipts inside the period that are NOT on the statement (possible forgeries): 2",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("import report lacks %q:\n%s", w, out)
		}
	}
	lines := strings.Split(out, "\n")
	forged := linesWith(lines, "TJB5FORGED")
	if len(forged) != 1 || !strings.Contains(forged[0], "KES 9,000.00") || !strings.Contains(forged[0], "2025-10-12 13:00:00 +03:00") ||
		!strings.Contains(forged[0], "not on the statement") || !strings.Contains(forged[0], "sms") {
		t.Errorf("the receipt missing from the statement is not listed with its amount, time and state: %q", forged)
	}
	if failed := linesWith(lines, "TJA2XYZ789"); len(failed) != 1 || !strings.Contains(failed[0], "on the statement as Failed") {
		t.Errorf("the receipt the statement has as Failed: %q", failed)
	}
	for _, id := range []string{"TJE1LATER1", "TJZ9BROKEN"} {
		if got := linesWith(lines, id); len(got) != 0 {
			t.Errorf("%s is listed: %q", id, got)
		}
	}

	ps := b.payments()
	if len(ps) != 8 {
		t.Fatalf("%d payments after the import, want 4 SMS + 4 statement", len(ps))
	}
	bySource := map[string]int{}
	for _, p := range ps {
		bySource[p.Source]++
		if p.TxnID == "TJZ9BROKEN" {
			t.Errorf("a payment from the broken row: %+v", p)
		}
		if p.TxnID == "TJA1B2C3D4" && (p.State != store.PaymentPending || !p.Matched || p.AccountNo != "000000981") {
			t.Errorf("the payment naming loan 981: %+v", p)
		}
	}
	if bySource["statement"] != 4 || bySource["sms"] != 4 {
		t.Errorf("payments by source %v", bySource)
	}
	j := b.journal()
	if len(j)-before != 1 || j[0].Receipt != "TJA1B2C3D4" || j[0].Kind != store.JournalLoanRepayment || j[0].PaymentTypeID != fineractsim.SeedPaymentMpesa {
		t.Fatalf("journal after the import: %d new entries, %+v", len(j)-before, j)
	}

	// Again: nothing new, nothing journaled.
	out, err = b.run(file)
	if err != nil {
		t.Fatalf("second import: %v\n%s", err, out)
	}
	for _, w := range []string{"Posted now:     0 new payments, KES 0.00", "Already known:  5 (not posted again)"} {
		if !strings.Contains(out, w) {
			t.Errorf("second import lacks %q:\n%s", w, out)
		}
	}
	if n := len(b.payments()); n != 8 {
		t.Errorf("%d payments after the second import, want 8", n)
	}
	if n := len(b.journal()); n != before+1 {
		t.Errorf("%d journal entries after the second import, want %d", n, before+1)
	}
}

// A file that is not a statement fails the command (non-zero exit) with
// the reader's reason and records nothing; a statement with only broken
// rows is reported, not fatal.
func TestImportMpesaStatementBadFiles(t *testing.T) {
	b := newImportBox(t)
	notCSV := filepath.Join(b.dir, "book.xlsx")
	if err := os.WriteFile(notCSV, []byte("PK\x03\x04rest of a workbook"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := b.run(notCSV)
	if err == nil || !strings.Contains(err.Error(), "Excel workbook") || out != "" {
		t.Fatalf("a workbook: %v\n%s", err, out)
	}
	if _, err := b.run(filepath.Join(b.dir, "missing.csv")); err == nil {
		t.Fatal("a missing file is not an error")
	}
	allBroken := filepath.Join(b.dir, "broken.csv")
	if err := os.WriteFile(allBroken, []byte("Receipt No.,Completion Time,Transaction Status,Paid In,Withdrawn,Other Party Info,A/C No.\n"+
		"TJX1,13-10-2025 10:00:00,Completed,100,,x,1\nTJX2ABCDEF,13-10-2025 10:00:00,Completed,1.234,,x,1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = b.run(allBroken)
	if err != nil || !strings.Contains(out, "Broken rows:    2") || !strings.Contains(out, "row 2: Receipt No.") || !strings.Contains(out, "row 3: Paid In") {
		t.Fatalf("broken rows: %v\n%s", err, out)
	}
	if n := len(b.payments()); n != 0 {
		t.Fatalf("%d payments recorded from broken rows", n)
	}
	cfg := strings.Replace(readFile(t, b.cfgPath), `operators = ["mpesa-ke"]`, `operators = ["gcash"]`, 1)
	writeMode(t, b.cfgPath, cfg, 0o600)
	if _, err := b.run(allBroken); err == nil || !strings.Contains(err.Error(), `add "mpesa-ke"`) {
		t.Fatalf("mpesa-ke not taken: %v", err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func linesWith(lines []string, s string) []string {
	var out []string
	for _, l := range lines {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

// A statement whose reversal rows follow the payments they reverse: the
// reversed statement payment is recorded reversal-pending, never
// journaled; the reversed one the box had by SMS is marked
// reversal-pending; the report lists both under "Reversed on the
// statement".
func TestImportMpesaStatementReversedRows(t *testing.T) {
	b := newImportBox(t)
	raw, err := os.ReadFile(testStatement(t, b.dir))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	rev := "TJR1REV001,13-10-2025 18:00:00,,Reversal of TJA1B2C3D4,Completed,,\"1,050.00\",\"1.00\",true,Reversal,x,TJA1B2C3D4,\n" +
		"TJR2REV002,13-10-2025 18:05:00,,Reversal of TJB3KLM456,Completed,,\"2,500.00\",\"1.00\",true,Reversal,x,TJB3KLM456,\n"
	i := strings.Index(s, ",,,Totals")
	s = s[:i] + rev + s[i:]
	file := filepath.Join(b.dir, "reversed.csv")
	if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	b.withCore(func(_ *store.DB, record func(mobilemoney.Payment)) {
		record(mobilemoney.Payment{Operator: "mpesa-ke", Kind: mobilemoney.KindPayment, TxnID: "TJB3KLM456", Amount: mifos.Amount(2500 * 1_000_000),
			Currency: "KES", AccountRef: "LN-00457", Time: time.Date(2025, 10, 11, 14, 30, 5, 0, nairobi), Source: "sms"})
	})
	before := len(b.journal())

	out, err := b.run(file)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	t.Log(out)
	for _, w := range []string{"Posted now:     3 new payments", "Reversed on the statement: 2", "reversal 2"} {
		if !strings.Contains(out, w) {
			t.Errorf("import report lacks %q:\n%s", w, out)
		}
	}
	lines := strings.Split(out, "\n")
	for id, w := range map[string]string{"TJA1B2C3D4": "from this statement, never posted", "TJB3KLM456": "came earlier (sms)"} {
		got := linesWith(lines, id)
		if len(got) != 1 || !strings.Contains(got[0], "reversal-pending") || !strings.Contains(got[0], w) {
			t.Errorf("%s in the report: %q, want a line with %q", id, got, w)
		}
	}
	for _, p := range b.payments() {
		want := map[string]string{"TJA1B2C3D4": "TJR1REV001", "TJB3KLM456": "TJR2REV002"}[p.TxnID]
		if want != "" && (p.State != store.PaymentReversalPending || len(p.Journal) > 0 || !strings.Contains(p.Reason, want)) {
			t.Errorf("%s: state %s, reason %q, journal %v; want reversal-pending naming %s", p.TxnID, p.State, p.Reason, p.Journal, want)
		}
	}
	if n := len(b.journal()) - before; n != 0 {
		t.Errorf("%d journal entries: the only payment to a loan was reversed", n)
	}
}
