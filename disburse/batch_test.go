package disburse

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

var ctx = context.Background()

// Every bad line is refused at once, each with its reason, and nothing is
// stored: the officer fixes them all and builds again.
func TestCreateRefusesEveryBadLine(t *testing.T) {
	r := newRig(t, false)
	for id := int64(1); id <= 12; id++ {
		r.api.approvedLoan(id)
	}
	r.api.setLoan(2, func(l *mifos.LoanApplication) { l.StatusID = mifos.StatusPending })
	r.api.setLoan(3, func(l *mifos.LoanApplication) { l.StatusID = mifos.StatusActive })
	r.api.setLoan(4, func(l *mifos.LoanApplication) { l.OfficerID, l.OfficerName = 15, "Peter Otieno" })
	r.api.setClient(1005, func(c *mifos.Client) { c.MobileNo = "  " })
	r.api.setLoan(9, func(l *mifos.LoanApplication) {
		l.Currency = mifos.Currency{Code: "UGX", InMultiplesOf: 100}
	})
	r.api.setClient(1010, func(c *mifos.Client) { c.MobileNo = "07xx 1234" })
	r.api.setLoan(11, func(l *mifos.LoanApplication) { l.StatusID = 500 })
	items := []Item{
		{LoanID: 1, Amount: 1000_000000},   // good
		{LoanID: 2},                        // pending
		{LoanID: 3},                        // disbursed
		{LoanID: 4},                        // other officer
		{LoanID: 5, Amount: 1000_000000},   // no phone
		{LoanID: 6, Amount: 5000_010000},   // above approved
		{LoanID: 7, Amount: 1000_005000},   // not postable in KES (2 decimals)
		{LoanID: 8, Amount: 4000_000000},   // good
		{LoanID: 9, Amount: 1000_000000},   // another currency
		{LoanID: 10, Amount: 1000_000000},  // phone not a number
		{LoanID: 11},                       // closed
		{LoanID: 1, Amount: 1000_000000},   // listed twice
		{LoanID: 404},                      // no such loan
		{LoanID: 12, Amount: -1000_000000}, // negative
	}
	r.bd.Policy.MaxLine = 4500_000000
	r.api.setLoan(8, func(l *mifos.LoanApplication) { l.ApprovedPrincipal = 5000_000000 })
	items = append(items, Item{LoanID: 13})
	r.api.approvedLoan(13) // approved 5,000.00: above the 4,500.00 ceiling

	_, _, err := r.bd.Create(ctx, officer, items, "staff 14", "grace")
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("Create = %v, want a BuildError", err)
	}
	want := map[int64]string{
		2:   "not approved yet",
		3:   "already disbursed",
		4:   "Peter Otieno (staff 15)",
		5:   "has no mobile number",
		6:   "more than the approved KES 5,000.00",
		7:   "cannot be paid in KES",
		9:   "currency UGX differs from the batch's KES",
		10:  "is not a phone number",
		11:  "status 500",
		1:   "listed twice",
		404: "Mifos has no such loan",
		12:  "more than zero",
		13:  "above the ceiling of KES 4,500.00",
	}
	var got []int64
	for _, l := range be.Lines {
		got = append(got, l.LoanID)
		if w, ok := want[l.LoanID]; !ok || !strings.Contains(l.Why, w) {
			t.Errorf("loan %d refused with %q, want %q", l.LoanID, l.Why, w)
		}
	}
	if wantOrder := []int64{2, 3, 4, 5, 6, 7, 9, 10, 11, 1, 404, 12, 13}; !slices.Equal(got, wantOrder) {
		t.Errorf("refused loans %v, want %v", got, wantOrder)
	}
	if !strings.Contains(err.Error(), "nothing will be paid") {
		t.Errorf("error text %q", err)
	}
	if bs, err := r.db.DisburseBatches(0); err != nil || len(bs) != 0 {
		t.Errorf("a refused build stored %d batches (%v)", len(bs), err)
	}
	// The good lines alone make a batch.
	if _, lines, err := r.bd.Create(ctx, officer, []Item{{LoanID: 1, Amount: 1000_000000}, {LoanID: 8, Amount: 4000_000000}}, "staff 14", "grace"); err != nil || len(lines) != 2 {
		t.Errorf("the good lines: %v, %v", lines, err)
	}
}

// A currency without decimals posts in its inMultiplesOf: an amount
// Fineract would round is refused before anything is stored.
func TestCreateRefusesAmountsFineractWouldRound(t *testing.T) {
	r := newRig(t, false)
	ugx := mifos.Currency{Code: "UGX", InMultiplesOf: 100}
	for _, c := range []struct {
		amount mifos.Amount
		ok     bool
	}{
		{1_050_000000, false},
		{1_100_000000, true},
		{1_000_500000, false}, // no decimals at all
	} {
		r.api.approvedLoan(1)
		r.api.setLoan(1, func(l *mifos.LoanApplication) { l.Currency = ugx })
		b, lines, err := r.bd.Create(ctx, officer, []Item{{LoanID: 1, Amount: c.amount}}, "staff 14", "grace")
		var be *BuildError
		switch {
		case c.ok && err != nil:
			t.Errorf("%s refused: %v", ugx.Format(c.amount), err)
		case !c.ok && (!errors.As(err, &be) || !strings.Contains(be.Lines[0].Why, "smallest step UGX 100")):
			t.Errorf("%s: %v", ugx.Format(c.amount), err)
		case c.ok:
			if lines[0].Currency != "UGX" || lines[0].Decimals != 0 || b.Currency != "UGX" {
				t.Errorf("line %+v of batch %+v", lines[0], b)
			}
			if _, err := r.bd.Cancel(b.ID, "grace"); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestCreateLimits(t *testing.T) {
	for _, c := range []struct {
		name    string
		limit   int64
		amounts []mifos.Amount
		want    store.BatchState
	}{
		{"under the limit", 10000_000000, []mifos.Amount{3000_000000, 4000_000000}, store.BatchReady},
		{"at the limit", 7000_000000, []mifos.Amount{3000_000000, 4000_000000}, store.BatchReady},
		{"over the limit", 6999_999900, []mifos.Amount{3000_000000, 4000_000000}, store.BatchAwaitingApproval},
		{"limit 0: every batch", 0, []mifos.Amount{1_000000}, store.BatchAwaitingApproval},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, false)
			r.bd.Policy.LimitOf = func(staff int64) int64 {
				if staff != officer {
					t.Errorf("limit of staff %d asked", staff)
				}
				return c.limit
			}
			var items []Item
			for i, a := range c.amounts {
				r.api.approvedLoan(int64(i + 1))
				items = append(items, Item{LoanID: int64(i + 1), Amount: a})
			}
			b, lines, err := r.bd.Create(ctx, officer, items, "staff 14", "grace")
			if err != nil {
				t.Fatal(err)
			}
			var total int64
			for _, a := range c.amounts {
				total += int64(a)
			}
			if b.State != c.want || b.NeedsApproval != (c.want == store.BatchAwaitingApproval) || b.Limit != c.limit || b.Total != total || len(lines) != len(c.amounts) {
				t.Errorf("batch %+v", b)
			}
			_, err = r.bd.Send(b.ID, "grace")
			if c.want == store.BatchAwaitingApproval && !errors.Is(err, store.ErrBatchState) {
				t.Errorf("send without approval: %v", err)
			}
			if c.want == store.BatchReady && err != nil {
				t.Errorf("send: %v", err)
			}
		})
	}
}

func TestCreateFillsTheLines(t *testing.T) {
	r := newRig(t, false)
	r.api.approvedLoan(1)
	r.api.approvedLoan(2)
	r.api.setLoan(2, func(l *mifos.LoanApplication) { l.ApprovedPrincipal, l.Principal = 0, 3000_000000 })
	b, lines, err := r.bd.Create(ctx, officer, []Item{{LoanID: 1}, {LoanID: 2}}, "staff 14 Grace Wanjiru (cli)", "grace")
	if err != nil {
		t.Fatal(err)
	}
	// Amount 0 is the approved amount; a loan without one its principal.
	if lines[0].Amount != 5000_000000 || lines[1].Amount != 3000_000000 || lines[1].Approved != 3000_000000 {
		t.Errorf("amounts %d %d", lines[0].Amount, lines[1].Amount)
	}
	l := lines[0]
	if l.Phone != "+254712000001" || l.ClientID != 1001 || l.AccountNo != "000000001" || l.Currency != "KES" || l.Decimals != 2 ||
		l.Ref != "MFEbox1D"+strconv.FormatUint(l.ID, 10) || l.State != store.LinePending {
		t.Errorf("line %+v", l)
	}
	if b.StaffID != officer || b.StaffName != "Grace Wanjiru" || b.OfficerPhone != "+254711000014" || b.CreatedByUser != "grace" || b.Currency != "KES" {
		t.Errorf("batch %+v", b)
	}
	if _, _, err := r.bd.Create(ctx, 0, []Item{{LoanID: 1}}, "x", ""); err == nil {
		t.Error("a batch without its officer was built")
	}
	if _, _, err := r.bd.Create(ctx, officer, nil, "x", ""); err == nil {
		t.Error("an empty batch was built")
	}
	// Mifos down: nothing is built, and it says so (not a refused line).
	r.api.setDown(errors.New("dial tcp 10.0.0.5:443: connection refused"))
	_, _, err = r.bd.Create(ctx, officer, []Item{{LoanID: 3}}, "x", "")
	var be *BuildError
	if err == nil || errors.As(err, &be) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("build while Mifos is down: %v", err)
	}
}

func TestRefIsShortAndUniquePerBox(t *testing.T) {
	for _, c := range []struct {
		box  string
		id   uint64
		want string
	}{
		{"box-1", 7, "MFEbox1D7"},
		{"Nakuru West / 2", 123, "MFENakuruWest2D123"},
		{"a-very-long-box-name-indeed", 1, "MFEaverylongboxD1"},
		{"abcdefghijklm", 2, "MFEabcdefghijklD2"}, // thirteen: cut to twelve
		{"", 9, "MFED9"},
	} {
		bd := &Builder{BoxID: c.box}
		if got := bd.Ref(c.id); got != c.want {
			t.Errorf("Ref(%q, %d) = %q, want %q", c.box, c.id, got, c.want)
		}
	}
}

func TestApprove(t *testing.T) {
	r := newRig(t, false)
	r.bd.Policy.LimitOf = func(int64) int64 { return 0 } // every batch needs approval
	r.api.approvedLoan(1)
	b, _, err := r.bd.Create(ctx, officer, []Item{{LoanID: 1}}, "staff 14", "john")
	if err != nil || b.State != store.BatchAwaitingApproval {
		t.Fatalf("build: %+v, %v", b, err)
	}
	if _, err := r.bd.Approve(b.ID, "peter", ""); err == nil || !strings.Contains(err.Error(), "not a disbursement approver") {
		t.Errorf("approval by a non-approver: %v", err)
	}
	// grace is an approver, and the loans' officer.
	if _, err := r.bd.Approve(b.ID, "grace", ""); !errors.Is(err, store.ErrSelfApproval) {
		t.Errorf("approval by the loans' officer: %v", err)
	}
	if got := r.batch(b.ID); got.State != store.BatchAwaitingApproval {
		t.Fatalf("refused approvals left %s", got.State)
	}
	if _, err := r.bd.Approve(b.ID, "mary", "0000"); !errors.Is(err, store.ErrBatchChanged) {
		t.Errorf("approval of another digest: %v", err)
	}
	got, err := r.bd.Approve(b.ID, "mary", b.Digest)
	if err != nil || got.State != store.BatchApproved || got.ApprovedBy != "mary" {
		t.Fatalf("approval: %+v, %v", got, err)
	}
	if _, _, err := r.bd.Edit(ctx, b.ID, []Item{{LoanID: 1, Amount: 1_000000}}, "john"); !errors.Is(err, store.ErrBatchApprovedAlready) {
		t.Errorf("edit after approval: %v", err)
	}
	if _, err := r.bd.Send(b.ID, "john"); err != nil || r.sent != 1 {
		t.Errorf("send: %v (engine woken %d times)", err, r.sent)
	}

	// The builder's user is no approver of their own batch either.
	b2, _, err := r.bd.Create(ctx, officer, []Item{{LoanID: 2}}, "staff 20", "mary")
	if err == nil {
		t.Fatalf("loan 2 is not in Fineract, built %+v", b2)
	}
	r.api.approvedLoan(2)
	if b2, _, err = r.bd.Create(ctx, officer, []Item{{LoanID: 2}}, "staff 20", "mary"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.bd.Approve(b2.ID, "mary", ""); !errors.Is(err, store.ErrSelfApproval) {
		t.Errorf("approval by the builder: %v", err)
	}
}

func TestEditRechecksAgainstFineractAndTheLimit(t *testing.T) {
	r := newRig(t, false)
	for id := int64(1); id <= 4; id++ {
		r.api.approvedLoan(id)
	}
	b, _, err := r.bd.Create(ctx, officer, []Item{{LoanID: 1}}, "staff 14", "grace")
	if err != nil || b.State != store.BatchReady {
		t.Fatalf("%+v %v", b, err)
	}
	r.api.setLoan(2, func(l *mifos.LoanApplication) { l.StatusID = mifos.StatusActive })
	var be *BuildError
	if _, _, err := r.bd.Edit(ctx, b.ID, []Item{{LoanID: 1}, {LoanID: 2}}, "grace"); !errors.As(err, &be) {
		t.Errorf("edit with a disbursed loan: %v", err)
	}
	got, lines, err := r.bd.Edit(ctx, b.ID, []Item{{LoanID: 1}, {LoanID: 3}, {LoanID: 4}}, "grace")
	if err != nil || got.State != store.BatchAwaitingApproval || len(lines) != 3 || got.Total != 15000_000000 {
		t.Errorf("edit above the limit: %+v, %v", got, err)
	}
	got, _, err = r.bd.Edit(ctx, b.ID, []Item{{LoanID: 3}}, "grace")
	if err != nil || got.State != store.BatchReady {
		t.Errorf("edit back under the limit: %+v, %v", got, err)
	}
}

func TestResolve(t *testing.T) {
	r := newRig(t, false)
	_, lines := r.sending(1, 2, 3)
	r.provider.answer(lines[0].Ref, errors.New("read tcp: i/o timeout"))
	r.provider.answer(lines[1].Ref, errors.New("read tcp: i/o timeout"))
	r.step()
	u, u2, sent := r.line(lines[0].ID), r.line(lines[1].ID), r.line(lines[2].ID)
	if u.State != store.LineUnknown || u2.State != store.LineUnknown || sent.State != store.LineSent {
		t.Fatalf("lines %s %s %s", u.State, u2.State, sent.State)
	}
	// Only an unknown line is settled by hand.
	if _, err := r.bd.Resolve(sent.ID, Resolution{Successful: true, Confirmation: "QKA1B2C3D4"}, "mary", 9, today); !errors.Is(err, store.ErrLineState) {
		t.Errorf("resolve of a sent line: %v", err)
	}
	for _, bad := range []string{"", "QK-1B2C3D4", "QK1", "QKA 1B2C3D4", strings.Repeat("Q", 41)} {
		if _, err := r.bd.Resolve(u.ID, Resolution{Successful: true, Confirmation: bad}, "mary", 9, today); err == nil {
			t.Errorf("confirmation %q accepted", bad)
		}
	}
	if _, err := r.bd.Resolve(u2.ID, Resolution{Reason: "  "}, "mary", 9, today); err == nil {
		t.Error("a failure without a reason accepted")
	}
	if n := len(r.journal()); n != 0 {
		t.Fatalf("refused resolves journaled %d entries", n)
	}
	at := time.Date(2026, 3, 2, 10, 4, 0, 0, time.UTC)
	got, err := r.bd.Resolve(u.ID, Resolution{Successful: true, Confirmation: " QKA1B2C3D4 ", At: at}, "mary", 9, today)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.LineSuccessful || got.Confirmation != "QKA1B2C3D4" || got.SettledBy != "mary" || !got.CompletedAt.Equal(at) {
		t.Errorf("resolved line %+v", got)
	}
	j := r.journal()
	if len(j) != 1 || j[0].ID != got.Journal || j[0].ExternalID != "md-"+u.Ref || j[0].Receipt != "QKA1B2C3D4" || j[0].Date != "2026-03-02" || j[0].PaymentTypeID != 9 {
		t.Errorf("journal %+v", j)
	}
	failed, err := r.bd.Resolve(u2.ID, Resolution{Reason: "the operator has no such payment"}, "mary", 9, today)
	if err != nil || failed.State != store.LineFailed || failed.Reason != "the operator has no such payment" {
		t.Errorf("resolved as failed: %+v, %v", failed, err)
	}
	// Settled now: a second word by hand is refused.
	if _, err := r.bd.Resolve(u.ID, Resolution{Reason: "oops"}, "john", 9, today); !errors.Is(err, store.ErrLineState) {
		t.Errorf("second resolve: %v", err)
	}
	if n := len(r.journal()); n != 1 {
		t.Errorf("%d journal entries", n)
	}
}

func TestDisbursementEntry(t *testing.T) {
	l := store.DisburseLine{ID: 7, Batch: 3, LoanID: 981, AccountNo: "000000981", ClientID: 1981, ClientName: "Wanjiku Kamau",
		Phone: "+254712000001", Amount: 5000_000000, Currency: "KES", Decimals: 2, Ref: "MFEbox1D7"}
	e := DisbursementEntry(l, "QKA1B2C3D4", 9, today)
	want := store.JournalEntry{Batch: store.DisburseBatchBase + 7, Kind: store.JournalLoanDisbursement, ClientPhone: "+254712000001",
		ClientID: 1981, ClientName: "Wanjiku Kamau", AccountID: 981, AccountNo: "000000981", Amount: 5000_000000, Currency: "KES",
		Decimals: 2, Date: "2026-03-02", ExternalID: "md-MFEbox1D7", Receipt: "QKA1B2C3D4", PaymentTypeID: 9,
		Note: "Mobile disbursement, batch 3 line 7, operator confirmation QKA1B2C3D4"}
	if e.Batch != want.Batch || e.Kind != want.Kind || e.AccountID != want.AccountID || e.Amount != want.Amount ||
		e.Date != want.Date || e.ExternalID != want.ExternalID || e.Receipt != want.Receipt || e.PaymentTypeID != want.PaymentTypeID ||
		e.Note != want.Note || e.ClientID != want.ClientID || e.Currency != want.Currency || e.Decimals != want.Decimals {
		t.Errorf("entry %+v\nwant  %+v", e, want)
	}
	if !mifos.PostedByBox(e.ExternalID) {
		t.Errorf("%q is not one of the box's external ids", e.ExternalID)
	}
}

// The limit is per officer and day: a payout split into small batches
// needs the approval the whole would; a cancelled batch, one approved by
// a second person, and another officer's do not count.
func TestLimitCountsTheDaysBatches(t *testing.T) {
	r := newRig(t, false)
	r.bd.Policy.LimitOf = func(int64) int64 { return 10000_000000 }
	for id := int64(1); id <= 6; id++ {
		r.api.approvedLoan(id)
	}
	build := func(loan int64, amount mifos.Amount) store.DisburseBatch {
		t.Helper()
		b, _, err := r.bd.Create(ctx, officer, []Item{{LoanID: loan, Amount: amount}}, "staff 14", "grace")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if b := build(1, 4000_000000); b.State != store.BatchReady {
		t.Fatalf("first 4,000: %s", b.State)
	}
	cancelled := build(2, 4000_000000)
	if cancelled.State != store.BatchReady {
		t.Fatalf("second 4,000 (8,000 today): %s", cancelled.State)
	}
	if _, err := r.bd.Cancel(cancelled.ID, "grace"); err != nil {
		t.Fatal(err)
	}
	if b := build(3, 5000_000000); b.State != store.BatchReady {
		t.Fatalf("5,000 after a cancelled batch (9,000 today): %s", b.State)
	}
	over := build(4, 2000_000000)
	if over.State != store.BatchAwaitingApproval || !over.NeedsApproval {
		t.Fatalf("2,000 more (11,000 today): %s, want awaiting approval", over.State)
	}
	// The batch that needed approval is not counted again for the next.
	if b := build(5, 1000_000000); b.State != store.BatchReady {
		t.Fatalf("1,000 (10,000 today without approval): %s", b.State)
	}
}

func TestValidConfirmation(t *testing.T) {
	for _, c := range []struct {
		s    string
		want bool
	}{
		{"TJ56H6J1WU", true},    // M-PESA
		{"7012121108038", true}, // GCash
		{"UL7QFF8DRM", true},
		{"paid", false}, // a word is no receipt
		{"YESYES", false},
		{"A1", false},          // too short
		{"TJ56 H6J1WU", false}, // a space
		{"TJ56-H6J1WU", false},
		{strings.Repeat("1", 41), false},
		{"", false},
	} {
		if got := validConfirmation(c.s); got != c.want {
			t.Errorf("validConfirmation(%q) = %v, want %v", c.s, got, c.want)
		}
	}
}
