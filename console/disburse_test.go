package console

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/disburse"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// fakeLoanBook stands in for Fineract's loans and clients as the batch
// builder reads them: 404 with Fineract's code for a loan it lacks, and
// unreachable when down.
type fakeLoanBook struct {
	mu      sync.Mutex
	down    bool
	loans   map[int64]mifos.LoanApplication
	clients map[int64]mifos.Client
}

func (f *fakeLoanBook) LoanApplication(_ context.Context, id int64) (mifos.LoanApplication, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return mifos.LoanApplication{}, errDown
	}
	l, ok := f.loans[id]
	if !ok {
		return l, &mifos.Error{Status: 404, Code: mifos.CodeNotFound, Message: "Loan with identifier " + itoa(id) + " does not exist"}
	}
	return l, nil
}

func (f *fakeLoanBook) Client(_ context.Context, id int64) (mifos.Client, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return mifos.Client{}, errDown
	}
	c, ok := f.clients[id]
	if !ok {
		return c, &mifos.Error{Status: 404, Code: mifos.CodeNotFound}
	}
	return c, nil
}

func (f *fakeLoanBook) setDown(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

// fakeDisburseDesk is the desk as the daemon gives it: the real batch
// builder on the real store, reading the fake Fineract, with the
// [disbursement] policy; it records the approvals it was asked for.
type fakeDisburseDesk struct {
	db   *store.DB
	book *fakeLoanBook
	b    *disburse.Builder

	mu        sync.Mutex
	approvals []askedApproval
}

type askedApproval struct {
	batch        uint64
	user, digest string
}

func (d *fakeDisburseDesk) view(b store.DisburseBatch, withAudit bool) (Batch, error) {
	_, lines, err := d.db.DisburseBatch(b.ID)
	if err != nil {
		return Batch{}, err
	}
	var audit []store.DisburseAudit
	if withAudit {
		if audit, err = d.db.DisburseAuditOf(b.ID); err != nil {
			return Batch{}, err
		}
	}
	return Batch{BatchView: disburse.ViewOf(b, lines, audit), Digest: b.Digest, BuiltBy: b.CreatedByUser}, nil
}

// Waiting lists the approved loans of staffID as Fineract would, with
// the batch a loan is on already (a line not failed).
func (d *fakeDisburseDesk) Waiting(_ context.Context, staffID int64) (Waiting, error) {
	d.book.mu.Lock()
	defer d.book.mu.Unlock()
	if d.book.down {
		return Waiting{}, errDown
	}
	onLine, err := d.db.LoanBatches()
	if err != nil {
		return Waiting{}, err
	}
	w := Waiting{Limit: mifos.Amount(d.b.Policy.LimitOf(staffID))}
	for _, l := range d.book.loans {
		if l.StatusID != mifos.StatusApproved || l.OfficerID != staffID {
			continue
		}
		w.Loans = append(w.Loans, ApprovedLoan{ID: l.ID, AccountNo: l.AccountNo, Client: l.ClientName, Group: l.GroupName,
			Amount: l.ApprovedPrincipal, Currency: l.Currency, Phone: d.book.clients[l.ClientID].MobileNo, Batch: onLine[l.ID]})
	}
	slices.SortFunc(w.Loans, func(a, b ApprovedLoan) int { return int(a.ID - b.ID) })
	return w, nil
}

func (d *fakeDisburseDesk) Batches(_ context.Context, limit int) ([]Batch, error) {
	list, err := d.db.DisburseBatches(limit)
	if err != nil {
		return nil, err
	}
	out := make([]Batch, 0, len(list))
	for _, b := range list {
		v, err := d.view(b, false)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (d *fakeDisburseDesk) Batch(_ context.Context, id uint64) (Batch, error) {
	b, _, err := d.db.DisburseBatch(id)
	if err != nil {
		return Batch{}, err
	}
	return d.view(b, true)
}

func (d *fakeDisburseDesk) Create(ctx context.Context, staffID int64, items []disburse.Item, by, user string) (Batch, error) {
	b, _, err := d.b.Create(ctx, staffID, items, by, user)
	if err != nil {
		return Batch{}, err
	}
	return d.view(b, false)
}

func (d *fakeDisburseDesk) Send(_ context.Context, id uint64, by string) error {
	_, err := d.b.Send(id, by)
	return err
}

func (d *fakeDisburseDesk) Cancel(_ context.Context, id uint64, by string) error {
	_, err := d.b.Cancel(id, by)
	return err
}

func (d *fakeDisburseDesk) Resolve(_ context.Context, line uint64, r disburse.Resolution, by string) error {
	_, err := d.b.Resolve(line, r, by, 7, mifos.DateOf(r.At))
	return err
}

func (d *fakeDisburseDesk) IsApprover(user string) bool {
	_, ok := d.b.Policy.Approver(user)
	return ok
}

func (d *fakeDisburseDesk) Approve(_ context.Context, id uint64, user, digest string) error {
	d.mu.Lock()
	d.approvals = append(d.approvals, askedApproval{id, user, digest})
	d.mu.Unlock()
	_, err := d.b.Approve(id, user, digest)
	return err
}

func (d *fakeDisburseDesk) asked() []askedApproval {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.approvals)
}

var kes = mifos.Currency{Code: "KES", DecimalPlaces: 2}

func ksh(units int64) mifos.Amount { return mifos.Amount(units * 1_000_000) }

// approvedLoan is a loan application Fineract shows in status status.
func approvedLoan(id, clientID int64, client, group string, units int64, officer int64, status int) mifos.LoanApplication {
	return mifos.LoanApplication{PendingLoan: mifos.PendingLoan{ID: id, AccountNo: "000000" + itoa(id), ClientID: clientID, ClientName: client,
		GroupName: group, Principal: ksh(units), Currency: kes, OfficerID: officer, OfficerName: map[int64]string{14: "Grace Wanjiru", 20: "Peter Kariuki"}[officer], OfficeID: 2},
		StatusID: status, ApprovedPrincipal: ksh(units)}
}

// Passwords of the disbursement users.
const (
	officerPassword  = "officer password 1"
	approverPassword = "approver password 1"
	auditorPassword  = "auditor password 1"
)

// disburseRig is the console with mobile disbursement: officer (staff 14,
// limit 50,000 KES, also an approver), approver (staff 20, limit 0, may
// disburse), auditor (an approver who may not disburse), and the
// manager, who may do neither.
func disburseRig(t *testing.T) (*rig, *fakeDisburseDesk) {
	t.Helper()
	r := newRig(t)
	r.fin.users["officer"] = fakeUser{password: officerPassword, user: mifos.User{ID: 21, Username: "officer", OfficeID: 2, OfficeName: "Thika branch",
		StaffID: 14, Permissions: []string{"READ_LOAN", "DISBURSE_LOAN"}}}
	r.fin.users["approver"] = fakeUser{password: approverPassword, user: mifos.User{ID: 22, Username: "approver", OfficeID: 2, OfficeName: "Thika branch",
		StaffID: 20, Permissions: []string{"READ_LOAN", "DISBURSE_LOAN"}}}
	r.fin.users["auditor"] = fakeUser{password: auditorPassword, user: mifos.User{ID: 23, Username: "auditor", OfficeID: 2, OfficeName: "Thika branch",
		Permissions: []string{"READ_LOAN"}}}
	book := &fakeLoanBook{
		loans: map[int64]mifos.LoanApplication{
			501: approvedLoan(501, 9001, "Wanjiku Njeri", "Umoja Women", 60_000, 14, mifos.StatusApproved),
			502: approvedLoan(502, 9002, "Otieno Brian", "", 25_000, 14, mifos.StatusApproved),
			503: approvedLoan(503, 9003, "Achieng Mary", "", 10_000, 14, mifos.StatusApproved),
			504: approvedLoan(504, 9004, "Kamau Peter", "", 15_000, 14, mifos.StatusPending),
			505: approvedLoan(505, 9005, "Mutua Ann", "", 12_000, 20, mifos.StatusApproved),
		},
		clients: map[int64]mifos.Client{
			9001: {ID: 9001, DisplayName: "Wanjiku Njeri", MobileNo: "0712 345 678"},
			9002: {ID: 9002, DisplayName: "Otieno Brian", MobileNo: "+254722000002"},
			9003: {ID: 9003, DisplayName: "Achieng Mary"},
			9004: {ID: 9004, DisplayName: "Kamau Peter", MobileNo: "0733000004"},
			9005: {ID: 9005, DisplayName: "Mutua Ann", MobileNo: "0711000005"},
		},
	}
	approvers := map[string]int64{"officer": 14, "approver": 20, "auditor": 30}
	limits := map[int64]int64{14: 50_000}
	desk := &fakeDisburseDesk{db: r.db, book: book, b: &disburse.Builder{DB: r.db, API: book, Country: "KE", BoxID: "thika",
		Policy: disburse.Policy{
			LimitOf: func(staffID int64) int64 { return limits[staffID] * 1_000_000 },
			Approver: func(user string) (int64, bool) {
				id, ok := approvers[strings.ToLower(user)]
				return id, ok
			},
		}}}
	r.deps.Disburse = desk
	r.start()
	return r, desk
}

func (r *rig) batch(id uint64) (store.DisburseBatch, []store.DisburseLine) {
	r.t.Helper()
	b, lines, err := r.db.DisburseBatch(id)
	if err != nil {
		r.t.Fatalf("batch %d: %v", id, err)
	}
	return b, lines
}

func (r *rig) batchCount() int {
	r.t.Helper()
	list, err := r.db.DisburseBatches(0)
	if err != nil {
		r.t.Fatal(err)
	}
	return len(list)
}

// build posts the New batch form; amounts maps each ticked loan to what
// is typed in its amount field.
func (b *browser) build(amounts map[int64]string) answer {
	b.r.t.Helper()
	form := url.Values{}
	for _, id := range slices.Sorted(maps.Keys(amounts)) {
		form.Add("loan", itoa(id))
		form.Set("amount-"+itoa(id), amounts[id])
	}
	return b.post("/console/disburse", form)
}

// mustBuild builds and returns the new batch's id.
func (b *browser) mustBuild(amounts map[int64]string) uint64 {
	b.r.t.Helper()
	a := b.build(amounts)
	prefix := "/console/disburse/"
	if a.status != http.StatusSeeOther || !strings.HasPrefix(a.location, prefix) || !strings.HasSuffix(a.location, "?m=built") {
		b.r.t.Fatalf("build %v: %d %q\n%s", amounts, a.status, a.location, a.body)
	}
	id, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(a.location, prefix), "?m=built"), 10, 64)
	if err != nil {
		b.r.t.Fatal(err)
	}
	return id
}

func batchPath(id uint64, act string) string {
	p := "/console/disburse/" + strconv.FormatUint(id, 10)
	if act != "" {
		p += "/" + act
	}
	return p
}

func wants(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, body)
		}
	}
}

func lacks(t *testing.T, what, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("%s has %q:\n%s", what, w, body)
		}
	}
}

func TestDisburseTabOnlyWithTheDesk(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	b.mustSignIn("manager", managerPassword)
	lacks(t, "status page without disbursement", b.get("/console/").body, "/console/disburse")
	for _, a := range []answer{b.get("/console/disburse"), b.get("/console/disburse/1"), b.build(map[int64]string{501: ""}),
		b.post("/console/disburse/1/send", nil)} {
		if a.status != http.StatusNotFound {
			t.Errorf("disbursement off: %d, want 404", a.status)
		}
	}
	r, _ = disburseRig(t)
	b = r.browser()
	b.mustSignIn("manager", managerPassword)
	wants(t, "status page with disbursement", b.get("/console/").body, `<a href="/console/disburse">Disburse</a>`)
	if a := b.get("/console/disburse"); a.status != http.StatusOK || !strings.Contains(a.body, "No batches yet.") {
		t.Errorf("disburse page: %d\n%s", a.status, a.body)
	}
	// Only signed-in people see it.
	for _, a := range []answer{r.browser().get("/console/disburse"), r.browser().get("/console/disburse/1")} {
		if a.status != http.StatusSeeOther || a.location != "/console/signin" {
			t.Errorf("without a session: %d %q", a.status, a.location)
		}
	}
}

func TestDisburseBuildShowsTheBatch(t *testing.T) {
	r, _ := disburseRig(t)
	b := r.browser()
	b.mustSignIn("officer", officerPassword)
	pg := b.get("/console/disburse")
	wants(t, "officer's disburse page", pg.body, "No batches yet.", "Your limit: <strong>KES 50,000.00</strong> a batch; above it a second person must approve.",
		"Wanjiku Njeri", "Umoja Women", "KES 60,000.00", "Loan 000000501", "0712 345 678", `name="loan" value="501"`, `name="amount-501" inputmode="decimal" value="60000.00"`,
		"Otieno Brian", "&#43;254722000002", `value="502"`,
		"Achieng Mary", "no phone", "No mobile number in Mifos")
	// Not approved yet, another officer's: not offered. No phone: no tick box.
	lacks(t, "officer's disburse page", pg.body, "Kamau Peter", "Mutua Ann", `value="503"`)

	id := b.mustBuild(map[int64]string{501: "60,000", 502: ""})
	batch, lines := r.batch(id)
	if batch.State != store.BatchAwaitingApproval || batch.CreatedByUser != "officer" || batch.CreatedBy != "staff 14 via officer (console)" ||
		batch.StaffID != 14 || batch.Total != 85_000*1_000_000 || len(lines) != 2 || lines[1].Amount != 25_000*1_000_000 || lines[0].Phone != "+254712345678" {
		t.Errorf("stored %+v with %+v", batch, lines)
	}
	a := b.get(batchPath(id, "") + "?m=built")
	wants(t, "new batch page", a.body, "Batch "+itoa(int64(id))+" is built. Nothing is paid until someone presses Send.",
		"<strong>waiting for approval</strong>", "KES 85,000.00 · 2 lines", "2 pending", "Grace Wanjiru", "staff 14 via officer (console)",
		"Wanjiku Njeri", "Otieno Brian", "&#43;254712345678", "loan 000000502", "You built it, or its loans are yours: another disbursement approver must approve it.",
		"Cancel the batch", "History", "built with 2 lines, total 85000 KES (limit 50000); above the limit: waits for a second person&#39;s approval")
	// The officer is an approver, but not of their own batch; nothing to send yet.
	lacks(t, "new batch page", a.body, "/approve", "/send", `name="digest"`)

	list := b.get("/console/disburse")
	wants(t, "list after building", list.body, `href="/console/disburse/`+itoa(int64(id))+`"`, "waiting for approval", "KES 85,000.00",
		"Grace Wanjiru · built", "by staff 14 via officer (console)", "2 pending", "Already in <a href=\"/console/disburse/"+itoa(int64(id))+"\">batch")
	lacks(t, "list after building", list.body, "No batches yet.", `name="loan" value="501"`)
	// A batch that does not exist.
	for _, p := range []string{"/console/disburse/999", "/console/disburse/x", "/console/disburse/0"} {
		if a := b.get(p); a.status != http.StatusNotFound || !strings.Contains(a.body, "There is no batch") {
			t.Errorf("GET %s: %d\n%s", p, a.status, a.body)
		}
	}
}

func TestDisburseBuildErrorsBuildNothing(t *testing.T) {
	r, desk := disburseRig(t)
	b := r.browser()
	b.mustSignIn("officer", officerPassword)
	const notBuilt = "The batch was not built; nothing will be paid. Fix these and build it again:"
	for _, tc := range []struct {
		name   string
		form   map[int64]string
		status int
		says   []string
	}{
		{"nothing ticked", map[int64]string{}, 422, []string{"Tick at least one loan to build a batch."}},
		{"amounts typed wrong", map[int64]string{501: "abc", 502: "0"}, 422, []string{notBuilt,
			"<li>Loan 000000501 (Wanjiku Njeri): the amount: ", "<li>Loan 000000502 (Otieno Brian): the amount must be more than zero</li>",
			// What was ticked and typed stays.
			`value="501" checked`, `value="502" checked`, `name="amount-501" inputmode="decimal" value="abc"`}},
		{"the builder refuses", map[int64]string{501: "70000", 503: "", 504: "", 999: "", 505: ""}, 422, []string{notBuilt,
			"Loan 000000501 (Wanjiku Njeri): KES 70,000.00 is more than the approved KES 60,000.00",
			"Loan 000000503 (Achieng Mary): client Achieng Mary has no mobile number in Mifos",
			"Loan 504: not approved yet in Mifos", "Loan 999: Mifos has no such loan",
			"Loan 505: its loan officer in Mifos is Peter Kariuki (staff 20), not staff 14"}},
		{"too many cents", map[int64]string{501: "100.001"}, 422, []string{notBuilt, "Loan 000000501 (Wanjiku Njeri): KES 100.00 cannot be paid in KES"}},
	} {
		a := b.build(tc.form)
		if a.status != tc.status {
			t.Errorf("%s: %d, want %d\n%s", tc.name, a.status, tc.status, a.body)
		}
		wants(t, tc.name, a.body, tc.says...)
	}
	if a := b.post("/console/disburse", url.Values{"loan": {"x"}}); a.status != http.StatusBadRequest || !strings.Contains(a.body, "That loan number is not valid") {
		t.Errorf("a loan that is no number: %d\n%s", a.status, a.body)
	}
	desk.book.setDown(true)
	if a := b.build(map[int64]string{501: ""}); a.status != http.StatusServiceUnavailable || !strings.Contains(a.body, "The batch was not built: Mifos cannot be reached") {
		t.Errorf("build with Mifos down: %d\n%s", a.status, a.body)
	}
	if pg := b.get("/console/disburse"); pg.status != http.StatusOK || !strings.Contains(pg.body, "The approved loans could not be read: Mifos cannot be reached") {
		t.Errorf("page with Mifos down: %d\n%s", pg.status, pg.body)
	}
	desk.book.setDown(false)
	if n := r.batchCount(); n != 0 {
		t.Fatalf("%d batches were built from refused forms", n)
	}
	// A loan already on a live line is refused by the store.
	first := b.mustBuild(map[int64]string{502: ""})
	if a := b.build(map[int64]string{502: ""}); a.status != http.StatusConflict || !strings.Contains(a.body, "already on another disbursement line (batch "+itoa(int64(first))) {
		t.Errorf("the same loan again: %d\n%s", a.status, a.body)
	}
	if n := r.batchCount(); n != 1 {
		t.Errorf("%d batches, want 1", n)
	}
}

func TestDisburseApprovalCoversWhatWasSeen(t *testing.T) {
	r, desk := disburseRig(t)
	officer := r.browser()
	officer.mustSignIn("officer", officerPassword)
	id := officer.mustBuild(map[int64]string{501: "", 502: ""})
	before, _ := r.batch(id)

	// The manager is no approver: no form, and a posted approval is refused.
	manager := r.browser()
	manager.mustSignIn("manager", managerPassword)
	pg := manager.get(batchPath(id, ""))
	wants(t, "manager's view", pg.body, "a disbursement approver must approve it before it is sent")
	lacks(t, "manager's view", pg.body, "/approve", "/send", "/cancel")
	if a := manager.post(batchPath(id, "approve"), url.Values{"digest": {before.Digest}}); a.status != http.StatusForbidden ||
		!strings.Contains(a.body, "Your user (manager) is not a disbursement approver on this box") {
		t.Errorf("approval by a non-approver: %d\n%s", a.status, a.body)
	}
	// The officer is an approver, but built it.
	if a := officer.post(batchPath(id, "approve"), url.Values{"digest": {before.Digest}}); a.status != http.StatusForbidden ||
		!strings.Contains(a.body, "Nobody approves a batch of their own") {
		t.Errorf("approval by the builder: %d\n%s", a.status, a.body)
	}
	if len(desk.asked()) != 0 {
		t.Fatalf("refused approvals reached the desk: %+v", desk.asked())
	}

	approver := r.browser()
	approver.mustSignIn("approver", approverPassword)
	pg = approver.get(batchPath(id, ""))
	wants(t, "approver's view", pg.body, `action="/console/disburse/`+itoa(int64(id))+`/approve"`, `name="digest" value="`+before.Digest+`"`,
		"Your approval covers exactly the lines below", "Approve batch "+itoa(int64(id)))
	lacks(t, "approver's view", pg.body, "/send")
	if a := approver.post(batchPath(id, "approve"), nil); a.status != http.StatusBadRequest {
		t.Errorf("approval without a digest: %d\n%s", a.status, a.body)
	}
	// The batch changes (from the command line) while the approver looks
	// at it: the approval of what they saw is refused.
	if _, _, err := desk.b.Edit(context.Background(), id, []disburse.Item{{LoanID: 501, Amount: ksh(29_000)}, {LoanID: 502}}, "cli (root, uid 0)"); err != nil {
		t.Fatal(err)
	}
	a := approver.post(batchPath(id, "approve"), url.Values{"digest": {before.Digest}})
	if a.status != http.StatusConflict || !strings.Contains(a.body, "changed after you opened it; nothing was approved") || !strings.Contains(a.body, "KES 29,000.00") {
		t.Errorf("approval of a changed batch: %d\n%s", a.status, a.body)
	}
	if got, _ := r.batch(id); got.State != store.BatchAwaitingApproval {
		t.Fatalf("a changed batch is %s", got.State)
	}
	now, _ := r.batch(id)
	a = approver.post(batchPath(id, "approve"), url.Values{"digest": {now.Digest}})
	if a.status != http.StatusSeeOther || a.location != batchPath(id, "")+"?m=approved" {
		t.Fatalf("approve: %d %q\n%s", a.status, a.location, a.body)
	}
	if asked := desk.asked(); len(asked) != 1 || asked[0] != (askedApproval{id, "approver", now.Digest}) {
		t.Errorf("the desk was asked %+v, want one approval by approver of digest %s", asked, now.Digest)
	}
	got, _ := r.batch(id)
	if got.State != store.BatchApproved || got.ApprovedBy != "approver" || got.ApprovedDigest != now.Digest {
		t.Errorf("stored after approval: %+v", got)
	}
	wants(t, "after approval", approver.get(a.location).body, "is approved; it can be sent.", "approved, ready to send", "<dt>Approved</dt>", "by approver", "/send")
	if a := approver.post(batchPath(id, "approve"), url.Values{"digest": {now.Digest}}); a.status != http.StatusConflict || !strings.Contains(a.body, "not waiting for approval") {
		t.Errorf("second approval: %d\n%s", a.status, a.body)
	}
}

func TestDisburseSendAndCancelByState(t *testing.T) {
	r, _ := disburseRig(t)
	officer := r.browser()
	officer.mustSignIn("officer", officerPassword)

	// Within the limit: ready, sent at once.
	ready := officer.mustBuild(map[int64]string{502: "20000"})
	pg := officer.get(batchPath(ready, ""))
	wants(t, "ready batch", pg.body, "<strong>ready to send</strong>", "Send: pay KES 20,000.00", "Cancel batch")
	lacks(t, "ready batch", pg.body, "/approve")
	a := officer.post(batchPath(ready, "send"), nil)
	if a.status != http.StatusSeeOther || a.location != batchPath(ready, "")+"?m=sent" {
		t.Fatalf("send: %d %q\n%s", a.status, a.location, a.body)
	}
	if b, _ := r.batch(ready); b.State != store.BatchSending || b.SentBy != "officer (console)" {
		t.Errorf("after send: %+v", b)
	}
	pg = officer.get(a.location)
	wants(t, "sending batch", pg.body, "is being paid, line by line", "<strong>sending</strong>", "<dt>Sent</dt>", "by officer (console)")
	lacks(t, "sending batch", pg.body, "/send\"", "/cancel\"")
	if a := officer.post(batchPath(ready, "send"), nil); a.status != http.StatusConflict || !strings.Contains(a.body, "is sending; only a batch ready to send or approved can be sent") {
		t.Errorf("send twice: %d\n%s", a.status, a.body)
	}
	if a := officer.post(batchPath(ready, "cancel"), nil); a.status != http.StatusConflict || !strings.Contains(a.body, "only a batch not yet sent can be cancelled") {
		t.Errorf("cancel while sending: %d\n%s", a.status, a.body)
	}

	// Cancelled before sending: nothing to send.
	other := officer.mustBuild(map[int64]string{501: ""})
	if a := officer.post(batchPath(other, "cancel"), nil); a.status != http.StatusSeeOther || a.location != batchPath(other, "")+"?m=cancelled" {
		t.Fatalf("cancel: %d %q\n%s", a.status, a.location, a.body)
	}
	b, lines := r.batch(other)
	if b.State != store.BatchCancelled || b.CancelledBy != "officer (console)" || lines[0].State != store.LineFailed {
		t.Errorf("after cancel: %+v %+v", b, lines)
	}
	wants(t, "cancelled batch", officer.get(batchPath(other, "")+"?m=cancelled").body, "is cancelled; nothing was paid.", "1 failed", "batch cancelled before it was sent; nothing paid")
	if a := officer.post(batchPath(other, "send"), nil); a.status != http.StatusConflict || !strings.Contains(a.body, "is cancelled; only a batch ready") {
		t.Errorf("send a cancelled batch: %d\n%s", a.status, a.body)
	}

	// Waiting for approval: not sent until approved.
	approver := r.browser()
	approver.mustSignIn("approver", approverPassword)
	wants(t, "approver's disburse page", approver.get("/console/disburse").body, "Every batch you build needs a second person's approval.", "Mutua Ann")
	waiting := approver.mustBuild(map[int64]string{505: ""})
	if a := approver.post(batchPath(waiting, "send"), nil); a.status != http.StatusConflict || !strings.Contains(a.body, "waits for approval") {
		t.Errorf("send before approval: %d\n%s", a.status, a.body)
	}
	if b, _ := r.batch(waiting); b.State != store.BatchAwaitingApproval {
		t.Fatalf("sent before approval: %s", b.State)
	}
	// The approver's own loans: the officer (an approver too) approves.
	w, _ := r.batch(waiting)
	if a := officer.post(batchPath(waiting, "approve"), url.Values{"digest": {w.Digest}}); a.status != http.StatusSeeOther {
		t.Fatalf("officer approves the approver's batch: %d\n%s", a.status, a.body)
	}
	if a := approver.post(batchPath(waiting, "send"), nil); a.status != http.StatusSeeOther {
		t.Fatalf("send the approved batch: %d\n%s", a.status, a.body)
	}
	if b, _ := r.batch(waiting); b.State != store.BatchSending || b.ApprovedBy != "officer" || b.SentBy != "approver (console)" {
		t.Errorf("approved and sent: %+v", b)
	}
}

func TestDisburseNeedsThePermissions(t *testing.T) {
	r, _ := disburseRig(t)
	officer := r.browser()
	officer.mustSignIn("officer", officerPassword)
	ready := officer.mustBuild(map[int64]string{502: "20000"})
	big := officer.mustBuild(map[int64]string{501: ""}) // above the limit

	// The manager may neither disburse nor approve.
	m := r.browser()
	m.mustSignIn("manager", managerPassword)
	pg := m.get("/console/disburse")
	wants(t, "manager's disburse page", pg.body, "Your Mifos user may not disburse loans (permission DISBURSE_LOAN)")
	lacks(t, "manager's disburse page", pg.body, `action="/console/disburse"`, "Wanjiku")
	lacks(t, "manager's batch page", m.get(batchPath(ready, "")).body, "/send", "/cancel", "/approve")
	const refused = "Your Mifos user may not disburse loans (permission DISBURSE_LOAN); nothing was changed."
	for name, a := range map[string]answer{
		"build":   m.build(map[int64]string{501: ""}),
		"send":    m.post(batchPath(ready, "send"), nil),
		"cancel":  m.post(batchPath(ready, "cancel"), nil),
		"resolve": m.post(batchPath(ready, "resolve"), url.Values{"line": {"1"}, "outcome": {"paid"}, "confirmation": {"QKX1234567"}}),
	} {
		if a.status != http.StatusForbidden || !strings.Contains(a.body, refused) {
			t.Errorf("manager %s: %d, want 403 saying %q\n%s", name, a.status, refused, a.body)
		}
	}
	if b, _ := r.batch(ready); b.State != store.BatchReady {
		t.Errorf("the manager changed the batch to %s", b.State)
	}

	// An approver without DISBURSE_LOAN (and no staff): no New batch
	// section, no send; may decline by cancelling.
	au := r.browser()
	au.mustSignIn("auditor", auditorPassword)
	lacks(t, "auditor's disburse page", au.get("/console/disburse").body, "New batch")
	pg = au.get(batchPath(big, ""))
	wants(t, "auditor's batch page", pg.body, "/approve", "Cancel batch")
	lacks(t, "auditor's batch page", pg.body, "/send")
	if a := au.post(batchPath(ready, "send"), nil); a.status != http.StatusForbidden {
		t.Errorf("auditor send: %d", a.status)
	}
	if a := au.post(batchPath(big, "cancel"), nil); a.status != http.StatusSeeOther {
		t.Errorf("auditor cancels a batch waiting for approval: %d\n%s", a.status, a.body)
	}

	// A read-only session (signed in while Mifos was down) changes nothing.
	officer.post("/console/signout", nil)
	r.fin.setDown(true)
	officer.mustSignIn("officer", officerPassword)
	lacks(t, "read-only disburse page", officer.get("/console/disburse").body, `action="/console/disburse"`)
	lacks(t, "read-only batch page", officer.get(batchPath(ready, "")).body, "/send", "/cancel")
	for name, a := range map[string]answer{
		"build":  officer.build(map[int64]string{501: ""}),
		"send":   officer.post(batchPath(ready, "send"), nil),
		"cancel": officer.post(batchPath(ready, "cancel"), nil),
	} {
		if a.status != http.StatusForbidden || !strings.Contains(a.body, "this session is read-only") {
			t.Errorf("read-only %s: %d\n%s", name, a.status, a.body)
		}
	}
	if b, _ := r.batch(ready); b.State != store.BatchReady {
		t.Errorf("a read-only session changed the batch to %s", b.State)
	}
}

// unknownLines makes each pending line of batch id (sending) unknown, as
// the engine does when the operator gives no answer.
func (r *rig) unknownLines(id uint64) []store.DisburseLine {
	r.t.Helper()
	_, lines := r.batch(id)
	for _, l := range lines {
		if l.State != store.LinePending {
			continue
		}
		if _, err := r.db.MarkLineSending(l.ID); err != nil {
			r.t.Fatal(err)
		}
		if _, err := r.db.LineUnknown(l.ID, "no result from the operator within 2m0s", time.Now().Add(time.Minute)); err != nil {
			r.t.Fatal(err)
		}
	}
	_, lines = r.batch(id)
	return lines
}

func TestDisburseResolveAnUnknownLine(t *testing.T) {
	r, _ := disburseRig(t)
	officer := r.browser()
	officer.mustSignIn("officer", officerPassword)
	id := officer.mustBuild(map[int64]string{502: "20000"})
	other := officer.mustBuild(map[int64]string{501: "20000"})
	for _, b := range []uint64{id, other} {
		if a := officer.post(batchPath(b, "send"), nil); a.status != http.StatusSeeOther {
			t.Fatalf("send: %d\n%s", a.status, a.body)
		}
	}
	lines := r.unknownLines(id)
	otherLines := r.unknownLines(other)
	line := itoa(int64(lines[0].ID))

	pg := officer.get(batchPath(id, ""))
	wants(t, "unknown line", pg.body, "<strong>unknown</strong>", "1 unknown", "Nobody knows yet whether this reached the client", "reference "+lines[0].Ref,
		"no result from the operator within 2m0s", `name="outcome" value="paid"`, `name="outcome" value="not-paid"`, `id="conf-`+line+`"`)
	// Without the permission: what to do, and no form.
	m := r.browser()
	m.mustSignIn("manager", managerPassword)
	mp := m.get(batchPath(id, ""))
	wants(t, "manager's unknown line", mp.body, "someone with the permission DISBURSE_LOAN records the answer here or with <code>mifos-edge disburse resolve "+line+"</code>")
	lacks(t, "manager's unknown line", mp.body, "/resolve")

	resolve := func(form url.Values) answer { return officer.post(batchPath(id, "resolve"), form) }
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		says   string
	}{
		{"no outcome", url.Values{"line": {line}}, 400, "Say whether the line was paid or not"},
		{"no confirmation", url.Values{"line": {line}, "outcome": {"paid"}, "confirmation": {" "}}, 422, "Type the operator&#39;s confirmation number of line " + line},
		{"not a confirmation", url.Values{"line": {line}, "outcome": {"paid"}, "confirmation": {"QK-1"}}, 422, "is not an operator confirmation number"},
		{"no reason", url.Values{"line": {line}, "outcome": {"not-paid"}}, 422, "Say why line " + line + " was not paid"},
		{"control characters", url.Values{"line": {line}, "outcome": {"not-paid"}, "reason": {"no\x07bell"}}, 422, "characters that cannot be kept"},
		{"another batch's line", url.Values{"line": {itoa(int64(otherLines[0].ID))}, "outcome": {"paid"}, "confirmation": {"QKX1234567"}}, 400, "has no such line"},
	} {
		a := resolve(tc.form)
		if a.status != tc.status || !strings.Contains(a.body, tc.says) {
			t.Errorf("%s: %d, want %d saying %q\n%s", tc.name, a.status, tc.status, tc.says, a.body)
		}
	}
	if _, got := r.batch(id); got[0].State != store.LineUnknown {
		t.Fatalf("a refused resolution changed the line to %s", got[0].State)
	}
	a := resolve(url.Values{"line": {line}, "outcome": {"paid"}, "confirmation": {" QKX1234567 "}})
	if a.status != http.StatusSeeOther || a.location != batchPath(id, "")+"?m=paid&line="+line {
		t.Fatalf("resolve paid: %d %q\n%s", a.status, a.location, a.body)
	}
	_, got := r.batch(id)
	if got[0].State != store.LineSuccessful || got[0].Confirmation != "QKX1234567" || got[0].SettledBy != "officer (console)" || got[0].Journal == 0 {
		t.Errorf("resolved line: %+v", got[0])
	}
	if e, err := r.db.JournalEntry(got[0].Journal); err != nil || e.Kind != store.JournalLoanDisbursement || e.AccountID != 502 || e.Receipt != "QKX1234567" {
		t.Errorf("the disbursement journaled: %+v %v", e, err)
	}
	pg = officer.get(a.location)
	wants(t, "after resolving", pg.body, "Line "+line+" is recorded as paid", "confirmation QKX1234567", "in Mifos: pending",
		"sending asked for", `<a href="/console/disburse/`+itoa(int64(id))+`?history=all">Every line's steps too (3 more)</a>`)
	// The lines' steps only when asked for.
	lacks(t, "default history", pg.body, "outcome unknown: no result", "officer (console): line "+line+" paid, confirmation QKX1234567")
	wants(t, "every step", officer.get(batchPath(id, "")+"?history=all").body, "box: line "+line+" outcome unknown: no result",
		"officer (console): line "+line+" paid, confirmation QKX1234567")
	if a := resolve(url.Values{"line": {line}, "outcome": {"not-paid"}, "reason": {"operator says no"}}); a.status != http.StatusConflict ||
		!strings.Contains(a.body, "is successful; only a line whose outcome is unknown") {
		t.Errorf("resolve twice: %d\n%s", a.status, a.body)
	}
	ol := itoa(int64(otherLines[0].ID))
	a = officer.post(batchPath(other, "resolve"), url.Values{"line": {ol}, "outcome": {"not-paid"}, "reason": {"the operator has no such transaction"}})
	if a.status != http.StatusSeeOther || a.location != batchPath(other, "")+"?m=notpaid&line="+ol {
		t.Fatalf("resolve not paid: %d %q\n%s", a.status, a.location, a.body)
	}
	if _, got := r.batch(other); got[0].State != store.LineFailed || got[0].Reason != "the operator has no such transaction" {
		t.Errorf("resolved not paid: %+v", got[0])
	}
}

func TestDisburseCrossOriginPostsAreRefused(t *testing.T) {
	r, _ := disburseRig(t)
	b := r.browser()
	b.mustSignIn("officer", officerPassword)
	id := b.mustBuild(map[int64]string{502: "20000"})
	for _, tc := range []struct{ path, body string }{
		{"/console/disburse", "loan=501"},
		{batchPath(id, "send"), ""},
		{batchPath(id, "cancel"), ""},
		{batchPath(id, "approve"), "digest=x"},
	} {
		req, _ := http.NewRequest("POST", r.srv.URL+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "http://evil.example")
		if a := b.do(req); a.status != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d, want 403", tc.path, a.status)
		}
	}
	if bt, _ := r.batch(id); bt.State != store.BatchReady {
		t.Errorf("a cross-site POST changed the batch to %s", bt.State)
	}
	if n := r.batchCount(); n != 1 {
		t.Errorf("a cross-site POST built a batch: %d batches", n)
	}
}

func TestOwnBatch(t *testing.T) {
	for _, tc := range []struct {
		name    string
		user    string
		staff   int64
		builtBy string
		officer int64
		own     bool
	}{
		{"built it", "officer", 0, "officer", 14, true},
		{"built it, another case", "Officer", 0, "oFFicer", 14, true},
		{"its loans are theirs", "approver", 14, "", 14, true},
		{"built it from the command line (no user)", "approver", 20, "", 14, false},
		{"someone else's", "approver", 20, "officer", 14, false},
		{"no staff id is nobody's officer", "auditor", 0, "", 0, false},
	} {
		s := &session{ConsoleSession: store.ConsoleSession{Username: tc.user, StaffID: tc.staff}}
		b := Batch{BatchView: disburse.BatchView{StaffID: tc.officer}, BuiltBy: tc.builtBy}
		if got := ownBatch(s, b); got != tc.own {
			t.Errorf("%s: ownBatch = %v, want %v", tc.name, got, tc.own)
		}
	}
}

func TestLineCounts(t *testing.T) {
	lines := func(states ...store.LineState) []disburse.LineView {
		var out []disburse.LineView
		for _, s := range states {
			out = append(out, disburse.LineView{State: s})
		}
		return out
	}
	for _, tc := range []struct {
		lines []disburse.LineView
		want  string
	}{
		{nil, "no lines"},
		{lines(store.LinePending, store.LinePending), "2 pending"},
		// In life-cycle order, whatever the lines' order.
		{lines(store.LineUnknown, store.LineSuccessful, store.LineFailed, store.LineSuccessful, store.LineSent),
			"1 sent · 2 successful · 1 failed · 1 unknown"},
	} {
		if got := lineCounts(tc.lines); got != tc.want {
			t.Errorf("lineCounts = %q, want %q", got, tc.want)
		}
	}
}
