package fineractsim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitFor polls cond until it holds; it fails the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestIdempotencyReplayAfterSuccess(t *testing.T) {
	s := startSeeded(t)
	first := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "500", "e1"), "Idempotency-Key", "k1")
	if first.status != 200 || first.header.Get("x-served-from-cache") != "" {
		t.Fatalf("first: %d %v %s", first.status, first.header, first.body)
	}
	// Replay with a different body: the stored answer comes back, nothing runs.
	again := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "999", "e2"), "Idempotency-Key", "k1")
	if again.status != 200 || again.header.Get("x-served-from-cache") != "true" || string(again.body) != string(first.body) {
		t.Fatalf("replay: %d %v %s", again.status, again.header, again.body)
	}
	if n := len(s.LoanTransactions(SeedLoanAmina)); n != 5 {
		t.Fatalf("replay posted again: %d transactions", n)
	}
	// The key is per (action, entity): a deposit with the same key runs.
	dep := `{"transactionDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en","transactionAmount":10,"paymentTypeId":1}`
	if r := call(t, s, "POST", depositPath(SeedSavingsAmina), dep, "Idempotency-Key", "k1"); r.status != 200 || r.header.Get("x-served-from-cache") != "" {
		t.Fatalf("deposit with a repayment's key: %d %s", r.status, r.body)
	}
	// The key is not scoped to the loan: another loan gets the first loan's answer.
	other := call(t, s, "POST", repayPath(SeedLoanGrace), repayBody("2024-09-26", "1", ""), "Idempotency-Key", "k1")
	if string(other.body) != string(first.body) || len(s.LoanTransactions(SeedLoanGrace)) != 2 {
		t.Fatalf("key reused on another loan: %s", other.body)
	}
	// No key, no protection.
	call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "1", ""))
	call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "1", ""))
	if n := len(s.LoanTransactions(SeedLoanAmina)); n != 7 {
		t.Fatalf("without a key both posts must run: %d transactions", n)
	}
}

func TestIdempotencyReplayAfterError(t *testing.T) {
	s := startSeeded(t)
	bad := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-30", "500", "e1"), "Idempotency-Key", "k2")
	wantError(t, bad, 403, "error.msg.loan.transaction.cannot.be.a.future.date")
	// Corrected body, same key: still the stored error.
	again := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "500", "e1"), "Idempotency-Key", "k2")
	wantError(t, again, 403, "error.msg.loan.transaction.cannot.be.a.future.date")
	if again.header.Get("x-served-from-cache") != "true" {
		t.Fatalf("replayed error not marked from cache: %v", again.header)
	}
	fresh := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "500", "e1"), "Idempotency-Key", "k3")
	if fresh.status != 200 {
		t.Fatalf("new key: %d %s", fresh.status, fresh.body)
	}
}

func TestHeldWriteAnswers425ThenCommits(t *testing.T) {
	s := startSeeded(t)
	release := make(chan struct{})
	s.HoldWrites(release)
	body := repayBody("2024-09-26", "500", "held-1")
	done := make(chan resp, 1)
	go func() { done <- call(t, s, "POST", repayPath(SeedLoanAmina), body, "Idempotency-Key", "k-held") }()
	waitFor(t, "the write to be held", func() bool { return s.HeldWrites() == 1 })

	inProgress := call(t, s, "POST", repayPath(SeedLoanAmina), body, "Idempotency-Key", "k-held")
	if inProgress.status != 425 || inProgress.header.Get("x-served-from-cache") != "true" || string(inProgress.body) != body {
		t.Fatalf("replay while in progress: %d %v %s", inProgress.status, inProgress.header, inProgress.body)
	}
	if n := len(s.LoanTransactions(SeedLoanAmina)); n != 4 {
		t.Fatalf("held write visible before release: %d", n)
	}
	close(release)
	if r := <-done; r.status != 200 {
		t.Fatalf("held write: %d %s", r.status, r.body)
	}
	if n := len(s.LoanTransactions(SeedLoanAmina)); n != 5 {
		t.Fatalf("after release: %d transactions", n)
	}
}

func TestHeldWriteCommitsWhenClientIsGone(t *testing.T) {
	s := startSeeded(t)
	release := make(chan struct{})
	s.HoldWrites(release)
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "POST", s.URL()+repayPath(SeedLoanAmina),
		strings.NewReader(repayBody("2024-09-26", "500", "gone-1")))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("mifos", "password")
	req.Header.Set("Fineract-Platform-TenantId", "default")
	req.Header.Set("Content-Type", "application/json")
	errc := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		errc <- err
	}()
	waitFor(t, "the write to be held", func() bool { return s.HeldWrites() == 1 })
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("the cancelled client got an answer")
	}
	close(release)
	waitFor(t, "the held write to commit", func() bool { return len(s.LoanTransactions(SeedLoanAmina)) == 5 })
	if r := call(t, s, "GET", "/loans/981/transactions/external-id/gone-1", ""); r.status != 200 {
		t.Fatalf("committed write not found by external id: %d", r.status)
	}
}

func TestSetDownRefusesAndComesBackOnSameURL(t *testing.T) {
	s := startSeeded(t)
	url := s.URL()
	if r := call(t, s, "GET", "/businessdate/BUSINESS_DATE", ""); r.status != 200 {
		t.Fatalf("up: %d", r.status)
	}
	if err := s.SetDown(true); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", url+"/businessdate/BUSINESS_DATE", nil)
	_, err := http.DefaultClient.Do(req)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("while down: want connection refused, got %v", err)
	}
	if err := s.SetDown(false); err != nil {
		t.Fatal(err)
	}
	if s.URL() != url {
		t.Fatalf("URL changed: %s -> %s", url, s.URL())
	}
	r := call(t, s, "GET", "/businessdate/BUSINESS_DATE", "")
	if r.status != 200 || str(obj(t, r.body)["date"]) != "[2024,9,26]" {
		t.Fatalf("back up: %d %s", r.status, r.body)
	}
}

func TestFailNext(t *testing.T) {
	s := startSeeded(t)
	s.FailNext(2, 503)
	for range 2 {
		r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "500", "f1"))
		if r.status != 503 || obj(t, r.body)["httpStatusCode"] != "503" {
			t.Fatalf("injected: %d %s", r.status, r.body)
		}
	}
	if n := len(s.LoanTransactions(SeedLoanAmina)); n != 4 {
		t.Fatalf("failed writes posted: %d", n)
	}
	// Reads are not commands: they do not consume failures.
	s.FailNext(1, 500)
	if r := call(t, s, "GET", "/loans/981", ""); r.status != 200 {
		t.Fatalf("read during FailNext: %d", r.status)
	}
	// The first answer is the servlet's page; the stored result, which a
	// replay of the key gets, is {"Exception": ...}.
	r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "500", "f1"), "Idempotency-Key", "kf")
	if r.status != 500 || !strings.Contains(string(r.body), "HTTP Status 500") || strings.Contains(r.header.Get("Content-Type"), "json") {
		t.Fatalf("500: %d %s", r.status, r.body)
	}
	// Like Fineract, the failed command is stored: same key, same failure.
	if r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "500", "f1"), "Idempotency-Key", "kf"); r.status != 500 ||
		obj(t, r.body)["Exception"] == nil || r.header.Get("x-served-from-cache") != "true" {
		t.Fatalf("replay of a failed command: %d %s", r.status, r.body)
	}
	if r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "500", "f1"), "Idempotency-Key", "kf2"); r.status != 200 {
		t.Fatalf("after failures: %d %s", r.status, r.body)
	}
}

func TestMakerChecker(t *testing.T) {
	s := startSeeded(t)
	s.SetMakerChecker(true)
	r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "500", "mc1"))
	m := obj(t, r.body)
	if r.status != 200 || m["rollbackTransaction"] != true || m["commandId"] == nil || str(m["resourceId"]) != "981" {
		t.Fatalf("maker-checker: %d %s", r.status, r.body)
	}
	if n := len(s.LoanTransactions(SeedLoanAmina)); n != 4 {
		t.Fatalf("pending approval posted: %d", n)
	}
	if got := s.LoanOutstanding(SeedLoanAmina); got != "13975.340000" {
		t.Fatalf("outstanding changed: %s", got)
	}
	// The command still runs its validation before the rollback.
	wantError(t, call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-27", "500", "")), 403,
		"error.msg.loan.transaction.cannot.be.a.future.date")
	dep := `{"transactionDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en","transactionAmount":10,"paymentTypeId":1}`
	if r := call(t, s, "POST", depositPath(SeedSavingsAmina), dep); obj(t, r.body)["rollbackTransaction"] != true || s.SavingsBalance(SeedSavingsAmina) != "3150.000000" {
		t.Fatalf("deposit under maker-checker: %s", r.body)
	}
	s.SetMakerChecker(false)
	if r := call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "500", "mc1")); r.status != 200 || obj(t, r.body)["rollbackTransaction"] != nil {
		t.Fatalf("after maker-checker off: %s", r.body)
	}
}

func TestLatencyDelaysEveryRequest(t *testing.T) {
	s := startSeeded(t)
	s.SetLatency(time.Minute)
	req, _ := http.NewRequest("GET", s.URL()+"/paymenttypes", nil)
	req.SetBasicAuth("mifos", "password")
	req.Header.Set("Fineract-Platform-TenantId", "default")
	c := &http.Client{Timeout: 100 * time.Millisecond}
	if res, err := c.Do(req); err == nil {
		res.Body.Close()
		t.Fatal("answered despite a minute of latency")
	}
	s.SetLatency(0)
	if r := call(t, s, "GET", "/paymenttypes", ""); r.status != 200 || len(arr(t, r.body)) != 2 {
		t.Fatalf("without latency: %d %s", r.status, r.body)
	}
}

func TestRequestsAreRecorded(t *testing.T) {
	s := startSeeded(t)
	call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-26", "5", ""), "Idempotency-Key", "rk")
	reqs := s.Requests()
	last := reqs[len(reqs)-1]
	if last.Method != "POST" || last.Path != "/fineract-provider/api/v1/loans/981/transactions" ||
		last.Query != "command=repayment" || last.Header.Get("Idempotency-Key") != "rk" || !strings.Contains(string(last.Body), `"transactionAmount":5`) {
		t.Fatalf("recorded: %+v", last)
	}
}

// A 500 after the commit: the deposit is in the books, the answer is the
// servlet's page, and the key stays "running" (425 on every replay).
func TestFailAfterCommit(t *testing.T) {
	s := startSeeded(t)
	s.FailAfterCommit(1)
	dep := `{"transactionDate":"2024-09-26","dateFormat":"yyyy-MM-dd","locale":"en","transactionAmount":10,"paymentTypeId":1,"receiptNumber":"R-500"}`
	r := call(t, s, "POST", depositPath(SeedSavingsAmina), dep, "Idempotency-Key", "k500")
	if r.status != 500 || json.Valid(r.body) || r.header.Get("x-served-from-cache") != "" {
		t.Fatalf("first answer: %d %v %s", r.status, r.header, r.body)
	}
	if got := s.SavingsBalance(SeedSavingsAmina); got != "3160.000000" {
		t.Fatalf("the deposit was not committed: balance %s", got)
	}
	for range 3 {
		again := call(t, s, "POST", depositPath(SeedSavingsAmina), dep, "Idempotency-Key", "k500")
		if again.status != 425 || again.header.Get("x-served-from-cache") != "true" {
			t.Fatalf("replay: %d %v %s", again.status, again.header, again.body)
		}
	}
	m := obj(t, call(t, s, "GET", "/savingsaccounts/77?associations=transactions", "").body)
	if str(path(m, "transactions", 0, "paymentDetailData", "receiptNumber")) != "R-500" {
		t.Fatalf("the committed deposit is not listed: %v", m["transactions"])
	}
	// Only that one command: the next commits and answers normally.
	if r := call(t, s, "POST", depositPath(SeedSavingsAmina), dep, "Idempotency-Key", "k501"); r.status != 200 {
		t.Fatalf("next deposit: %d %s", r.status, r.body)
	}
	// A command Fineract refuses is not committed, so it fails as usual.
	s.FailAfterCommit(1)
	wantError(t, call(t, s, "POST", repayPath(SeedLoanAmina), repayBody("2024-09-30", "5", "")), 403,
		"error.msg.loan.transaction.cannot.be.a.future.date")
}

// A command whose server died mid-way gives no answer, posts nothing, and
// stays "running" for ever: every replay of its key is 425.
func TestCrashNextLeavesTheKeyRunning(t *testing.T) {
	s := startSeeded(t)
	s.CrashNext(1)
	body := repayBody("2024-09-26", "500", "crash-1")
	req, err := http.NewRequest("POST", s.URL()+repayPath(SeedLoanAmina), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("mifos", "password")
	req.Header.Set("Fineract-Platform-TenantId", "default")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "k-crash")
	// A client of its own: no kept-alive connection for Go to retry on.
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if res, err := c.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("the crashed command answered %d", res.StatusCode)
	}
	if n := len(s.LoanTransactions(SeedLoanAmina)); n != 4 {
		t.Fatalf("the crashed command posted: %d transactions", n)
	}
	for range 3 {
		r := call(t, s, "POST", repayPath(SeedLoanAmina), body, "Idempotency-Key", "k-crash")
		if r.status != 425 || r.header.Get("x-served-from-cache") != "true" {
			t.Fatalf("replay: %d %v", r.status, r.header)
		}
	}
	if r := call(t, s, "GET", "/loans/981/transactions/external-id/crash-1", ""); r.status != 404 {
		t.Fatalf("lookup of the crashed repayment: %d", r.status)
	}
}

// A replay of a command that waits for a checker is 425, not its pending answer.
func TestMakerCheckerReplayIsTooEarly(t *testing.T) {
	s := startSeeded(t)
	s.SetMakerChecker(true)
	body := repayBody("2024-09-26", "500", "mc-9")
	if r := call(t, s, "POST", repayPath(SeedLoanAmina), body, "Idempotency-Key", "k-mc"); r.status != 200 || obj(t, r.body)["rollbackTransaction"] != true {
		t.Fatalf("pending: %d %s", r.status, r.body)
	}
	if r := call(t, s, "POST", repayPath(SeedLoanAmina), body, "Idempotency-Key", "k-mc"); r.status != 425 {
		t.Fatalf("replay of a pending command: %d %s", r.status, r.body)
	}
}
