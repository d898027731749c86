package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/modem"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/store"
)

const payPIN = "482613"

// fineractDaemon is a daemon opened (not run) against the Fineract
// stand-in, with the seed's officer Peter enrolled and box_id "edge1".
func fineractDaemon(t *testing.T) (*Daemon, *fineractsim.Server) {
	t.Helper()
	fin, err := fineractsim.Start(fineractsim.Options{NoRequestLog: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fin.Close() })
	fin.Seed()
	dir := t.TempDir()
	cfg := &config.Config{}
	cfg.Modem.Device = filepath.Join(dir, "no-modem")
	cfg.Store.Path = filepath.Join(dir, "state.db")
	cfg.SMS.Country = "KE"
	cfg.Mifos = config.Mifos{BaseURL: fin.URL(), Tenant: "default", Username: "mifos", Password: "password",
		BoxID: "edge1", PaymentTypeID: fineractsim.SeedPaymentCash}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	d, err := Open(cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.db.Close() })
	hash, err := officer.HashPIN(payPIN, d.Pepper())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.db.AddOfficer(store.Officer{Phone: fineractsim.SeedPeterPhone, StaffID: fineractsim.SeedStaffPeter, Name: "Peter Otieno", PINHash: hash}); err != nil {
		t.Fatal(err)
	}
	return d, fin
}

// runPoster runs the daemon's posting stage until the test ends.
func runPoster(t *testing.T, d *Daemon) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- d.poster.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-stopped
	})
}

// waitJournalSettled waits until the journal has want postable entries
// (repayments and deposits) and none is open.
func waitJournalSettled(t *testing.T, d *Daemon, want int) []store.JournalEntry {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		all, err := d.db.ListJournal("", 0)
		if err != nil {
			t.Fatal(err)
		}
		var postable []store.JournalEntry
		open := 0
		for _, e := range all {
			if e.State.Open() {
				open++
			}
			if e.Kind != store.JournalUnresolved {
				postable = append(postable, e)
			}
		}
		if open == 0 && len(postable) == want {
			return postable
		}
		if time.Now().After(deadline) {
			t.Fatalf("journal not settled within 30 s: %+v", all)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Each item of one PAY SMS reaches Fineract under an id of its own, the one
// docs/fineract.md §6 and §7 give: repayments with externalId
// me-<box>-m<SMS id>-<item>, deposits with receipt ME<box without dashes>
// <SMS id>I<item>, items numbered from 1 in the order typed. The same ids
// whether Fineract answered when the SMS was handled or the payment was
// taken offline and resolved later. The expected ids are written here from
// the documented format, not made by the code under test.
func TestEveryItemOfOneSMSPostsUnderItsOwnIDs(t *testing.T) {
	for _, online := range []bool{true, false} {
		name := "taken offline, resolved later"
		if online {
			name = "Fineract answering"
		}
		t.Run(name, func(t *testing.T) {
			d, fin := fineractDaemon(t)
			if online {
				runPoster(t, d)
				deadline := time.Now().Add(30 * time.Second)
				for !d.poster.Online() {
					if time.Now().After(deadline) {
						t.Fatal("the posting stage never reached the Fineract stand-in")
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			raw, n := deliverPDU(t, fineractsim.SeedPeterPhone, "PAY "+payPIN+" 42 L1=100 L2=200 S1=50", time.Now())
			if err := d.receive(context.Background(), modem.Inbound{Storage: "SM", Index: 1, PDU: raw, TPDULen: n}); err != nil {
				t.Fatal(err)
			}
			handleAll(t, d)
			handled, err := d.db.ListMessages(store.MessageHandled, 0)
			if err != nil || len(handled) != 1 {
				t.Fatalf("handled %+v, %v", handled, err)
			}
			journal, err := d.db.ListJournal("", 0)
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[store.JournalKind]int{}
			for _, e := range journal {
				kinds[e.Kind]++
			}
			wantKinds := map[store.JournalKind]int{store.JournalLoanRepayment: 2, store.JournalSavingsDeposit: 1}
			if !online {
				wantKinds = map[store.JournalKind]int{store.JournalUnresolved: 3}
			}
			if !maps.Equal(kinds, wantKinds) {
				t.Fatalf("journal after the PAY holds %v, want %v: %+v", kinds, wantKinds, journal)
			}
			if !online {
				runPoster(t, d)
			}
			entries := waitJournalSettled(t, d, 3)

			install, err := d.db.InstallID()
			if err != nil {
				t.Fatal(err)
			}
			sms := handled[0].ID
			box := "edge1-" + install
			extID := func(item int) string { return fmt.Sprintf("me-%s-m%d-%d", box, sms, item) }
			receipt := func(item int) string {
				return fmt.Sprintf("ME%s%dI%d", strings.ReplaceAll(box, "-", ""), sms, item)
			}
			byItem := map[string]store.JournalEntry{}
			for _, e := range entries {
				if e.State != store.JournalDone {
					t.Errorf("%s: %s (%s)", e.ItemRef, e.State, e.Outcome)
				}
				byItem[e.ItemRef] = e
			}
			want := []struct {
				item    string
				n       int
				account int64
			}{{"L1", 1, fineractsim.SeedLoanAmina}, {"L2", 2, fineractsim.SeedLoanAmina2}, {"S1", 3, fineractsim.SeedSavingsAmina}}
			for _, w := range want {
				e, ok := byItem[w.item]
				if !ok {
					t.Fatalf("no journal entry for %s: %+v", w.item, entries)
				}
				if e.AccountID != w.account || e.Receipt != receipt(w.n) || (e.Kind == store.JournalLoanRepayment && e.ExternalID != extID(w.n)) {
					t.Errorf("%s journaled for account %d with external id %q and receipt %q; want account %d, %q and %q",
						w.item, e.AccountID, e.ExternalID, e.Receipt, w.account, extID(w.n), receipt(w.n))
				}
			}
			// What Fineract holds: one repayment on each loan under the
			// item's external id, one deposit under the item's receipt.
			for _, w := range want[:2] {
				var ours []string
				for _, txn := range fin.LoanTransactions(w.account) {
					if txn.Type == "Repayment" && txn.ExternalID != "" {
						ours = append(ours, txn.ExternalID)
					}
				}
				if len(ours) != 1 || ours[0] != extID(w.n) {
					t.Errorf("loan %d (%s) holds repayments with external ids %q; want exactly [%s]", w.account, w.item, ours, extID(w.n))
				}
			}
			var receipts []string
			for _, txn := range fin.SavingsTransactions(fineractsim.SeedSavingsAmina) {
				if txn.ReceiptNumber != "" {
					receipts = append(receipts, txn.ReceiptNumber)
				}
			}
			if len(receipts) != 1 || receipts[0] != receipt(3) {
				t.Errorf("savings %d holds deposits with receipts %q; want exactly [%s]", fineractsim.SeedSavingsAmina, receipts, receipt(3))
			}
		})
	}
}
