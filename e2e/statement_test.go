package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/modemsim"
)

var eat = time.FixedZone("EAT", 3*3600)

// statementCSV is an M-PESA organisation statement as the portal exports
// it (preamble, header, rows newest first), covering yesterday and today.
func statementCSV(rows ...string) string {
	today := time.Now().In(eat)
	var b strings.Builder
	b.WriteString("Account Holder:,MWANGAZA MICROFINANCE LTD,,,,,,,,,,,\nShort Code:,600123,,,,,,,,,,,\n")
	fmt.Fprintf(&b, "Time Period:,From %s 00:00:00,To %s 23:59:59,,,,,,,,,,\n", today.AddDate(0, 0, -1).Format("02-01-2006"), today.Format("02-01-2006"))
	b.WriteString("Receipt No.,Completion Time,Initiation Time,Details,Transaction Status,Paid In,Withdrawn,Balance,Balance Confirmed,Reason Type,Other Party Info,Linked Transaction ID,A/C No.\n")
	for _, r := range rows {
		b.WriteString(r + "\n")
	}
	return b.String()
}

// statementRow is a client's paybill payment row at time at.
func statementRow(receipt, status string, at time.Time, amount, account string) string {
	return fmt.Sprintf("%s,%s,%s,Pay Bill from 25472****108 - JANE **** WANJIKU Acc. %s,%s,\"%s\",,\"1,000.00\",true,Pay Utility,25472****108 - JANE **** WANJIKU,,%s",
		receipt, at.Format("02-01-2006 15:04:05"), at.Format("02-01-2006 15:04:05"), account, status, amount, account)
}

// TestStatementImportThroughTheDaemon drives the statement import with the
// real daemon running: one payment came by SMS through the simulated modem
// before, the statement has it and three the SMS missed, a failed row, a
// charge and a broken row; the import goes through the control socket, the
// missed payments are posted to the Fineract stand-in once each, the SMS
// one is not posted again, a receipt the operator's sender id sent that is
// not on the statement is listed, and a second import posts nothing.
func TestStatementImportThroughTheDaemon(t *testing.T) {
	b := newPaymentsBox(t)
	e := b.e
	now := time.Now().In(eat)
	smsAt := now.Add(-2 * time.Hour)
	sms := func(receipt, amount, account string) {
		t.Helper()
		text := fmt.Sprintf("%s Confirmed. on %d/%d/%02d at %s Ksh%s received from JANE WANJIKU 0712***678. Account Number %s New Utility balance is Ksh51,200.00",
			receipt, smsAt.Day(), int(smsAt.Month()), smsAt.Year()%100, smsAt.Format("3:04 PM"), amount, account)
		if err := e.sim.Deliver(modemsim.Incoming{From: "MPESA", SenderType: "alphanumeric", Text: text, Class: -1}); err != nil {
			t.Fatal(err)
		}
	}
	sms("TKA1SMS001", "1,200.00", "981") // also on the statement
	sms("TKA9NOTON1", "800.00", "983")   // the operator's sender id, but not on the statement
	b.waitState("mpesa-ke", "TKA1SMS001", "posted", 30*time.Second)
	b.waitState("mpesa-ke", "TKA9NOTON1", "posted", 30*time.Second)

	at := func(d time.Duration) time.Time { return now.Add(-d) }
	file := filepath.Join(e.dir, "statement.csv")
	csv := statementCSV(
		statementRow("TKA4NEW003", "Completed", at(30*time.Minute), "450.00", ""), // nobody named: suspense
		statementRow("TKA3NEW002", "Completed", at(50*time.Minute), "300.00", "77"),
		statementRow("TKA2NEW001", "Completed", at(70*time.Minute), "2,000.00", "981"),
		statementRow("TKA1SMS001", "Completed", smsAt, "1,200.00", "981"),
		statementRow("TKA0FAIL01", "Failed", at(3*time.Hour), "900.00", "981"),
		fmt.Sprintf("TKA1CHG001,%s,,Business Pay Bill Charge,Completed,,5.00,,true,Business Pay Bill Charge,,TKA1SMS001,", smsAt.Format("02-01-2006 15:04:05")),
		statementRow("TKA5BROKEN", "Completed", at(4*time.Hour), "12O.00", "981"),
	)
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}

	out, err := e.cli("import", "mpesa-statement", "--dry-run", file)
	if err != nil || !strings.Contains(out, "Would post:     3 new payments, KES 2,750.00") || !strings.Contains(out, "Already known:  1") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if st, _ := b.call("GET", "/api/v1/payments/mpesa-ke/TKA2NEW001", ""); st != 404 {
		t.Fatalf("the dry run recorded TKA2NEW001: %d", st)
	}

	out, err = e.cli("import", "mpesa-statement", file)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	for _, w := range []string{
		"imported through the running daemon",
		"Posted now:     3 new payments, KES 2,750.00",
		"2 matched to an account",
		"1 to suspense",
		"Already known:  1 (not posted again): posted 1; first seen by sms 1",
		"Skipped:        2: charge 1, not-completed 1",
		"Broken rows:    1",
		`Paid In "12O.00": not an amount`,
		"Receipts inside the period that are NOT on the statement (possible forgeries): 1",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("import report lacks %q:\n%s", w, out)
		}
	}
	var listed string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "TKA9NOTON1") {
			listed = l
		}
	}
	if !strings.Contains(listed, "KES 800.00") || !strings.Contains(listed, "posted") || !strings.Contains(listed, "not on the statement") ||
		!strings.Contains(listed, smsAt.Format("2006-01-02 15:04")) {
		t.Errorf("the receipt missing from the statement: %q\n%s", listed, out)
	}

	b.waitState("mpesa-ke", "TKA2NEW001", "posted", 30*time.Second)
	b.waitState("mpesa-ke", "TKA3NEW002", "posted", 30*time.Second)
	if _, v := b.call("GET", "/api/v1/payments/mpesa-ke/TKA4NEW003", ""); v["state"] != "suspense" || v["source"] != "statement" {
		t.Errorf("the payment naming nobody: %v", v)
	}
	if st, _ := b.call("GET", "/api/v1/payments/mpesa-ke/TKA5BROKEN", ""); st != 404 {
		t.Errorf("a payment was recorded from the broken row: %d", st)
	}

	// Again, while the daemon has posted everything: nothing new.
	out, err = e.cli("import", "mpesa-statement", file)
	if err != nil || !strings.Contains(out, "Posted now:     0 new payments") || !strings.Contains(out, "Already known:  4 (not posted again): posted 3, suspense 1") {
		t.Fatalf("second import: %v\n%s", err, out)
	}
	time.Sleep(2 * time.Second) // a second posting would show by now

	count := func(receipt string) int {
		n := 0
		for _, loan := range []int64{fineractsim.SeedLoanAmina, fineractsim.SeedLoanGrace} {
			for _, tx := range e.fin.LoanTransactions(loan) {
				if tx.ReceiptNumber == receipt {
					n++
				}
			}
		}
		for _, tx := range e.fin.SavingsTransactions(fineractsim.SeedSavingsAmina) {
			if tx.ReceiptNumber == receipt {
				n++
			}
		}
		return n
	}
	for receipt, want := range map[string]int{"TKA1SMS001": 1, "TKA9NOTON1": 1, "TKA2NEW001": 1, "TKA3NEW002": 1, "TKA4NEW003": 0, "TKA0FAIL01": 0, "TKA5BROKEN": 0} {
		if n := count(receipt); n != want {
			t.Errorf("%s is in Fineract %d times, want %d", receipt, n, want)
		}
	}
}

// BenchmarkStatementImport imports a generated statement of 10,000 paybill
// payments (STATEMENT_ROWS to change it) into the running daemon while the
// Fineract stand-in answers every request after 20 ms. The payments name
// eight savings accounts by number, so each is matched with Fineract's
// answers (account search, the client's accounts, the client) and
// journaled; the daemon posts them meanwhile. It reports the import's
// time, the daemon's peak anonymous memory during it and the CLI
// process's peak resident memory. Run with -benchtime 1x; no assertion on
// time.
func BenchmarkStatementImport(b *testing.B) {
	n := 10000
	if v := os.Getenv("STATEMENT_ROWS"); v != "" {
		fmt.Sscan(v, &n)
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		extra := fmt.Sprintf("\n[mobile_money]\noperators = [\"mpesa-ke\"]\npayment_type_id = %d\n", fineractsim.SeedPaymentMpesa)
		e := newEnv(b, envOptions{extraSMS: extra, fineract: true, quietFin: true})
		var accounts []string
		for a := range 8 {
			no := fmt.Sprintf("00009%04d", a)
			e.fin.AddSavings(fineractsim.Savings{ClientID: fineractsim.SeedClientAmina, ProductName: "Bench", AccountNo: no,
				ActivatedOn: e.fin.BusinessDate().AddDate(0, -1, 0)})
			accounts = append(accounts, no)
		}
		now := time.Now().In(eat)
		rows := make([]string, n)
		for r := range n {
			rows[r] = statementRow(fmt.Sprintf("TB%08d", r), "Completed", now.Add(-time.Duration(r)*time.Second), "100.00", accounts[r%len(accounts)])
		}
		file := filepath.Join(e.dir, "statement.csv")
		if err := os.WriteFile(file, []byte(statementCSV(rows...)), 0o600); err != nil {
			b.Fatal(err)
		}
		rows = nil
		e.start()
		e.fin.SetLatency(20 * time.Millisecond)
		pid := e.proc.Process.Pid
		first := procStatusKB(pid, "RssAnon:")
		cmd := exec.Command(binary, e.withConfig([]string{"import", "mpesa-statement", file})...)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		b.StartTimer()
		began := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		peak, filePeak := first, 0
		var err error
	wait:
		for {
			select {
			case err = <-done:
				break wait
			case <-time.After(250 * time.Millisecond):
				peak = max(peak, procStatusKB(pid, "RssAnon:"))
				filePeak = max(filePeak, procStatusKB(pid, "RssFile:"))
			}
		}
		elapsed := time.Since(began)
		b.StopTimer()
		if err != nil || !strings.Contains(out.String(), fmt.Sprintf("Posted now:     %d new payments", n)) ||
			!strings.Contains(out.String(), fmt.Sprintf("%d matched to an account", n)) {
			b.Fatalf("import: %v\n%s", err, out.String())
		}
		cliKB := 0
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			cliKB = int(ru.Maxrss)
		}
		b.ReportMetric(elapsed.Seconds(), "import-s")
		b.ReportMetric(float64(n)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(first)/1024, "daemon-anon-start-MB")
		b.ReportMetric(float64(peak)/1024, "daemon-anon-peak-MB")
		b.ReportMetric(float64(filePeak)/1024, "daemon-file-mapped-peak-MB")
		b.ReportMetric(float64(cliKB)/1024, "cli-maxrss-MB")
		e.stop()
	}
}
