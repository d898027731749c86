package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
)

const (
	defaultCacheFor        = 24 * time.Hour
	defaultCacheOfflineMax = 7 * 24 * time.Hour
	// notRegisteredFor is short so a client registered at the branch can use
	// BAL within minutes, while a stranger retrying is not a search each time.
	notRegisteredFor   = 10 * time.Minute
	defaultLiveTimeout = 8 * time.Second
	// maxBalanceParts is the longest BAL reply: two concatenated SMS.
	maxBalanceParts = 2
	asOfLayout      = "2006-01-02 15:04"
)

// errStaleMapping marks an unreachable Fineract when the phone's cached
// mapping is too old to be trusted offline ([sms] phone_cache_offline_max).
var errStaleMapping = errors.New("the cached phone mapping is too old to use while the office system is unreachable")

// ErrAmbiguousPhone means several active clients carry the phone (in
// different stored forms), so whose figures to send cannot be decided.
var ErrAmbiguousPhone = errors.New("phone belongs to more than one active client")

// errOffline stands for "Fineract is not configured or known to be down";
// it counts as unreachable, so the snapshot is used without a slow timeout.
var errOffline = errors.New("office system is offline")

func init() {
	registerTexts("en", map[string]string{
		"bal.notregistered":    "This phone is not registered. Please contact your branch.",
		"bal.trylater":         "We cannot reach the office system now. Please try again later.",
		"bal.failed":           "Sorry, your balance is not available now. Please contact your branch.",
		"bal.ambiguous":        "This phone is registered to more than one client. Please contact your branch.",
		"bal.pin_unset":        "PIN balance enquiries are not set up. Please contact your branch.",
		"bal.pin_wrong":        "Wrong PIN. Send BAL followed by your PIN, for example BAL 482613.",
		"bal.pin_locked":       "Too many wrong PINs. Balance by PIN is locked until {until}.",
		"bal.pin_locked_reset": "Too many wrong PINs. Balance by PIN is locked until your branch unlocks it.",
		"bal.pin_paused":       "Balance by PIN is paused now. Please contact your branch.",
		"bal.none":             "You have no active loans or savings.",
		"bal.asof":             "As of {time}.",
		"bal.head":             "{name}:",
		"bal.loan":             "{account}: balance {outstanding}",
		"bal.loan.next":        "next {amount} due {date}",
		"bal.loan.overdue":     "OVERDUE {amount}",
		"bal.savings":          "{account}: {balance}",
		"bal.currency":         "Amounts in {cur}.",
		"bal.more":             "{count} more accounts: ask your branch.",
	})
	registerTexts("sw", map[string]string{
		"bal.notregistered":    "Simu hii haijasajiliwa. Tafadhali wasiliana na tawi lako.",
		"bal.trylater":         "Hatuwezi kufikia mfumo wa ofisi sasa. Tafadhali jaribu tena baadaye.",
		"bal.failed":           "Samahani, salio lako halipatikani sasa. Tafadhali wasiliana na tawi lako.",
		"bal.ambiguous":        "Simu hii imesajiliwa kwa wateja zaidi ya mmoja. Tafadhali wasiliana na tawi lako.",
		"bal.pin_unset":        "Huduma ya salio kwa PIN bado haijawekwa. Tafadhali wasiliana na tawi lako.",
		"bal.pin_wrong":        "PIN si sahihi. Tuma BAL ikifuatiwa na PIN yako, kwa mfano BAL 482613.",
		"bal.pin_locked":       "PIN zisizo sahihi mara nyingi. Salio kwa PIN limefungiwa hadi {until}.",
		"bal.pin_locked_reset": "PIN zisizo sahihi mara nyingi. Salio kwa PIN limefungiwa hadi tawi lako lifungue.",
		"bal.pin_paused":       "Salio kwa PIN limesimamishwa kwa sasa. Tafadhali wasiliana na tawi lako.",
		"bal.none":             "Huna mkopo wala akiba inayoendelea.",
		"bal.asof":             "Hali kufikia {time}.",
		"bal.head":             "{name}:",
		"bal.loan":             "{account}: deni {outstanding}",
		"bal.loan.next":        "kinachofuata {amount} tarehe {date}",
		"bal.loan.overdue":     "IMECHELEWA {amount}",
		"bal.savings":          "{account}: akiba {balance}",
		"bal.currency":         "Kiasi kwa {cur}.",
		"bal.more":             "Akaunti {count} zaidi: uliza tawi lako.",
	})
}

// Balance answers BAL / BALANCE / SALIO with the sender's active loans and
// savings, live from Fineract or, when it cannot be reached, from the last
// snapshot marked "as of".
//
// How long a phone -> client mapping is trusted is Env.PhoneCache;
// "not registered" results are trusted only 10 minutes.
type Balance struct {
	Env *Env
	// API, when set, is asked instead of Env.API (tests give a fake that
	// answers only what BAL asks).
	API balanceAPI
	// Timeout bounds each live Fineract call (default 8s), so a dead uplink
	// falls back to the snapshot quickly.
	Timeout time.Duration
}

// View is one client's balances, as sent and as stored in the snapshot.
type View struct {
	ClientID int64
	Name     string
	Loans    []LoanView
	Savings  []SavingsView
	At       time.Time
}

// LoanView is one active loan. LoanID and Disbursed fix the L1, L2... labels.
type LoanView struct {
	LoanID      int64
	AccountNo   string
	Product     string
	Currency    string
	Decimals    int
	Disbursed   mifos.Date
	Outstanding mifos.Amount
	NextDue     mifos.Date // zero: no instalment left
	NextAmount  mifos.Amount
	Overdue     mifos.Amount
}

// SavingsView is one active savings account.
type SavingsView struct {
	SavingsID int64
	AccountNo string
	Product   string
	Currency  string
	Decimals  int
	Balance   mifos.Amount
}

// Keywords implements Handler.
func (Balance) Keywords() []string { return []string{"BAL", "BALANCE", "SALIO"} }

// Handle implements Handler. Figures go only to a phone that maps to exactly
// one active client, and every reply is wholly live or wholly the snapshot.
func (b Balance) Handle(ctx context.Context, req Request) Result {
	t := b.Env.texts()
	reply := func(text, note string) Result {
		return Result{Replies: []Reply{{Text: text}}, Note: note}
	}
	if w := req.Words(); len(w) == 3 && allDigits(w[1]) {
		return b.byAccount(ctx, req, w[1], w[2])
	}
	pre := b.prefetch(ctx, req.From)
	defer pre.drop()
	hit, ok, err := b.LookupClient(ctx, req.From)
	switch {
	case errors.Is(err, ErrAmbiguousPhone):
		b.log().Warn("balance: phone matches several active clients", "from", req.From)
		return reply(t.Get("bal.ambiguous"), "balance refused: phone matches several clients")
	case errors.Is(err, errStaleMapping):
		b.log().Warn("balance: office system unreachable and the phone's cached mapping is too old to trust", "from", req.From, "err", err)
		return reply(t.Get("bal.trylater"), "balance refused: office system unreachable, "+err.Error())
	case err != nil && offline(err):
		if !errors.Is(err, errOffline) {
			b.log().Warn("balance: phone lookup failed, office system unreachable", "from", req.From, "err", err)
		}
		return reply(t.Get("bal.trylater"), "balance: office system unreachable, phone not known yet")
	case err != nil:
		b.log().Error("balance: phone lookup failed", "from", req.From, "err", err)
		return reply(t.Get("bal.failed"), "balance: phone lookup failed")
	case !ok:
		return reply(t.Get("bal.notregistered"), "balance refused: phone not registered")
	}
	if b.Env.RequireClientPIN {
		if res, ok := b.checkClientPIN(req, hit.ID); !ok {
			return res
		}
	}
	return b.answer(ctx, hit, pre)
}

// answer is the BAL reply with hit's figures: live (pre's, when it read
// them for hit), else from the snapshot while Fineract is unreachable.
func (b Balance) answer(ctx context.Context, hit mifos.ClientHit, pre *prefetched) Result {
	t := b.Env.texts()
	v, ok, err := pre.take(hit)
	if !ok {
		v, err = b.fetch(ctx, hit.ID, hit.DisplayName)
	}
	if err == nil {
		b.saveSnapshot(v)
		return reply(b.Render(v, false), fmt.Sprintf("balance sent for client %d", hit.ID))
	}
	if !offline(err) {
		b.log().Error("balance: fetch failed", "client", hit.ID, "err", err)
		return reply(t.Get("bal.failed"), fmt.Sprintf("balance for client %d failed", hit.ID))
	}
	if !errors.Is(err, errOffline) {
		b.log().Warn("balance: office system unreachable, using snapshot", "client", hit.ID, "err", err)
	}
	snap, ok, err := b.snapshot(hit.ID)
	if err != nil {
		b.log().Error("balance: snapshot unreadable", "client", hit.ID, "err", err)
	}
	if !ok {
		return reply(t.Get("bal.trylater"), fmt.Sprintf("balance for client %d: office system unreachable, no snapshot", hit.ID))
	}
	return reply(b.Render(snap, true), fmt.Sprintf("balance sent for client %d from snapshot of %s", hit.ID, snap.At.Local().Format(asOfLayout)))
}

// LookupClient finds the active client whose registered phone is sender:
// the cache first, then Fineract for every stored form of the number. Both
// outcomes are cached. (hit, false, nil) means not registered. While
// Fineract is unreachable a known client's cached mapping is used up to
// PhoneCache.OfflineMax old (an error wrapping errStaleMapping beyond);
// otherwise the error is returned.
func (b Balance) LookupClient(ctx context.Context, sender string) (mifos.ClientHit, bool, error) {
	e164, err := phone.Normalize(sender, b.Env.Country)
	if err != nil {
		// Not a phone number, so no client can have registered it.
		return mifos.ClientHit{}, false, nil
	}
	now := b.Env.now()
	cached, have, err := b.Env.DB.PhoneClient(e164)
	if err != nil {
		return mifos.ClientHit{}, false, err
	}
	if have && b.fresh(cached, now) {
		if cached.NotRegistered {
			return mifos.ClientHit{}, false, nil
		}
		return hitOf(cached), true, nil
	}
	hits, err := b.searchPhone(ctx, e164)
	if err != nil {
		if offline(err) && have && !cached.NotRegistered {
			age := now.Sub(cached.CheckedAt)
			// A number removed from a client in Mifos must stop getting
			// balances some day even if Fineract stays out of reach; an
			// age the clock cannot vouch for (negative) is not trusted.
			if age >= 0 && age < b.cacheOfflineMax() {
				return hitOf(cached), true, nil
			}
			return mifos.ClientHit{}, false, fmt.Errorf("%w: checked %s ago, older than [sms] phone_cache_offline_max (%s): %w",
				errStaleMapping, age.Round(time.Minute), b.cacheOfflineMax(), err)
		}
		return mifos.ClientHit{}, false, err
	}
	if len(hits) > 1 {
		return mifos.ClientHit{}, false, fmt.Errorf("%w: %s", ErrAmbiguousPhone, e164)
	}
	entry := store.PhoneClient{Phone: e164, NotRegistered: len(hits) == 0, CheckedAt: now}
	if len(hits) == 1 {
		entry.ClientID, entry.Name = hits[0].ID, hits[0].DisplayName
	}
	if err := b.Env.DB.PutPhoneClient(entry); err != nil {
		b.log().Error("balance: could not cache phone lookup", "phone", e164, "err", err)
	}
	if len(hits) == 0 {
		return mifos.ClientHit{}, false, nil
	}
	return hits[0], true, nil
}

// fresh reports a cached phone mapping used without asking Fineract:
// "not registered" for notRegisteredFor, a client for PhoneCache.For.
func (b Balance) fresh(p store.PhoneClient, now time.Time) bool {
	age := now.Sub(p.CheckedAt)
	// A negative age (the clock went back) does not count as fresh.
	if age < 0 {
		return false
	}
	if p.NotRegistered {
		return age < notRegisteredFor
	}
	return age < b.cacheFor()
}

// prefetched is a client's figures read while the sender's cached mapping
// to that client is checked again with Fineract, so that a client who asks
// once a day or less waits one lookup or one read, not both in a row.
type prefetched struct {
	clientID int64
	stop     context.CancelFunc
	done     chan struct{}
	view     View
	err      error
}

// prefetch starts reading the figures of the client the sender's number
// is mapped to, when that mapping is no longer fresh and Fineract is asked
// again; nil otherwise (no mapping, or a fresh one: no lookup to overlap).
// Nothing read is sent before the lookup confirms the same client (take).
func (b Balance) prefetch(ctx context.Context, sender string) *prefetched {
	if !b.live() {
		return nil
	}
	e164, err := phone.Normalize(sender, b.Env.Country)
	if err != nil {
		return nil
	}
	p, have, err := b.Env.DB.PhoneClient(e164)
	if err != nil || !have || p.NotRegistered || b.fresh(p, b.Env.now()) {
		return nil
	}
	ctx, stop := context.WithCancel(ctx)
	f := &prefetched{clientID: p.ClientID, stop: stop, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		// No name: the lookup's, which may be newer, is put in by take.
		f.view, f.err = b.fetch(ctx, p.ClientID, "")
	}()
	return f
}

// take is the prefetched View (or its error) when hit is the client it was
// read for, as fetch(hit.ID, hit.DisplayName) gives it; ok is false
// otherwise, and the caller reads the client's figures itself.
func (f *prefetched) take(hit mifos.ClientHit) (View, bool, error) {
	if f == nil || f.clientID != hit.ID {
		return View{}, false, nil
	}
	<-f.done
	v := f.view
	if f.err == nil && hit.DisplayName != "" {
		v.Name = hit.DisplayName
	}
	return v, true, f.err
}

// drop stops a prefetch whose figures are not wanted and waits for it.
func (f *prefetched) drop() {
	if f == nil {
		return
	}
	f.stop()
	<-f.done
}

// searchPhone asks Fineract for each stored form of e164 and returns the
// distinct ACTIVE clients whose mobile number is really e164. The forms are
// asked all at once (a slow uplink costs one round trip, not one per form)
// and their answers read in the forms' order, so the outcome is what asking
// one after another gave.
func (b Balance) searchPhone(ctx context.Context, e164 string) ([]mifos.ClientHit, error) {
	if !b.live() {
		return nil, errOffline
	}
	forms := phone.Variants(e164)
	answers := make([][]mifos.ClientHit, len(forms))
	errs := make([]error, len(forms))
	inParallel(len(forms), func(i int) {
		cctx, cancel := b.callCtx(ctx)
		defer cancel()
		answers[i], errs[i] = b.api().ClientsByPhone(cctx, forms[i])
	})
	var out []mifos.ClientHit
	seen := map[int64]bool{}
	for i, hits := range answers {
		if errors.Is(errs[i], mifos.ErrNotFound) {
			continue
		}
		if errs[i] != nil {
			return nil, fmt.Errorf("search clients by phone: %w", errs[i])
		}
		for _, h := range hits {
			if h.StatusID != mifos.StatusActive || seen[h.ID] {
				continue
			}
			// Defence in depth: a search that matched loosely must not
			// hand another person's figures to this phone.
			if h.MobileNo != "" {
				if n, err := phone.Normalize(h.MobileNo, b.Env.Country); err != nil || n != e164 {
					continue
				}
			}
			seen[h.ID] = true
			out = append(out, h)
		}
	}
	return out, nil
}

// maxParallelReads bounds the Fineract reads one BAL has in flight: enough
// to cover a client's usual accounts in one round trip, few enough that a
// client with many loans does not flood a branch uplink or Fineract.
const maxParallelReads = 4

// inParallel runs f(0) .. f(n-1), at most maxParallelReads at a time, and
// returns when all have returned.
func inParallel(n int, f func(i int)) {
	slots := make(chan struct{}, maxParallelReads)
	var wg sync.WaitGroup
	for i := range n {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			f(i)
		}()
	}
	wg.Wait()
}

// fetch builds a live View; name is shown in the reply ("" = the client
// name on a loan, if any). Any error means no View: figures are never mixed.
//
// The accounts and the business date are read together, then every active
// loan at once (inParallel); the answers are read in the accounts' order
// and the first failure in that order is the error, so the View and the
// error are those of reading one after another.
func (b Balance) fetch(ctx context.Context, clientID int64, name string) (View, error) {
	if !b.live() {
		return View{}, errOffline
	}
	dayCtx, stopDay := context.WithCancel(ctx)
	defer stopDay()
	var today mifos.Date
	dayRead := make(chan struct{})
	go func() {
		defer close(dayRead)
		today = b.Env.cachedToday(dayCtx, b.api())
	}()
	cctx, cancel := b.callCtx(ctx)
	accts, err := b.api().ClientAccounts(cctx, clientID)
	cancel()
	if err != nil {
		stopDay()
		<-dayRead
		return View{}, fmt.Errorf("accounts of client %d: %w", clientID, err)
	}
	at := b.Env.now()
	active := accts.ActiveLoans()
	loans := make([]mifos.Loan, len(active))
	errs := make([]error, len(active))
	inParallel(len(active), func(i int) {
		cctx, cancel := b.callCtx(ctx)
		defer cancel()
		loans[i], errs[i] = b.api().Loan(cctx, active[i].ID)
	})
	<-dayRead
	v := View{ClientID: clientID, Name: name, At: at}
	for i, ls := range active {
		if errs[i] != nil {
			return View{}, fmt.Errorf("loan %d: %w", ls.ID, errs[i])
		}
		v.addLoan(ls, loans[i], today)
	}
	v.addSavings(accts)
	return v, nil
}

// addLoan adds loan l, listed in the client's accounts as ls, as of today.
func (v *View) addLoan(ls mifos.LoanSummary, l mifos.Loan, today mifos.Date) {
	// The summary may lag a loan that closed a moment ago.
	if !mifos.Active(l.StatusID) {
		return
	}
	cur := l.Currency
	if cur.Code == "" {
		cur = ls.Currency
	}
	lv := LoanView{
		LoanID: ls.ID, AccountNo: ls.AccountNo, Product: ls.ProductName,
		Currency: cur.Code, Decimals: cur.DecimalPlaces, Disbursed: ls.ActualDisbursementDate,
		Outstanding: l.TotalOutstanding, Overdue: mifos.Overdue(l.Periods, today),
	}
	if p, ok := mifos.NextDue(l.Periods); ok {
		lv.NextDue, lv.NextAmount = p.DueDate, p.TotalOutstanding
	}
	if v.Name == "" {
		v.Name = l.ClientName
	}
	v.Loans = append(v.Loans, lv)
}

// addSavings adds the client's active savings accounts.
func (v *View) addSavings(accts mifos.Accounts) {
	for _, s := range accts.ActiveSavings() {
		v.Savings = append(v.Savings, SavingsView{
			SavingsID: s.ID, AccountNo: s.AccountNo, Product: s.ProductName,
			Currency: s.Currency.Code, Decimals: s.Currency.DecimalPlaces, Balance: s.AccountBalance,
		})
	}
}

// sortLoans puts loans in the order L1, L2... name them (mifos.LoanOrder).
func sortLoans(loans []LoanView) {
	slices.SortStableFunc(loans, func(x, y LoanView) int {
		return mifos.LoanOrder(x.Disbursed, x.LoanID, y.Disbursed, y.LoanID)
	})
}

func hitOf(p store.PhoneClient) mifos.ClientHit {
	return mifos.ClientHit{ID: p.ClientID, DisplayName: p.Name, MobileNo: p.Phone, StatusID: mifos.StatusActive}
}

// offline reports an error that means Fineract gave no answer now (see
// mifos.Answer.Offline): BAL answers from the snapshot, PAY is taken for
// later. The handlers' own refusals (unknown client, no such loan) are
// answers, whatever they wrap.
func offline(err error) bool {
	if err == nil {
		return false
	}
	var perm interface{ Permanent() bool }
	if errors.As(err, &perm) && perm.Permanent() {
		return false
	}
	return mifos.Classify(err).Offline()
}

func (b Balance) live() bool { return b.api() != nil && b.Env.online() }

// api is what BAL asks Fineract: API when set (a test's fake), else the
// environment's client; nil without a Fineract link.
func (b Balance) api() balanceAPI {
	if b.API != nil {
		return b.API
	}
	if b.Env.API == nil {
		return nil
	}
	return b.Env.API
}

func (b Balance) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	d := b.Timeout
	if d <= 0 {
		d = defaultLiveTimeout
	}
	return context.WithTimeout(ctx, d)
}

func (b Balance) cacheFor() time.Duration {
	if d := b.Env.PhoneCache.For; d > 0 {
		return d
	}
	return defaultCacheFor
}

func (b Balance) cacheOfflineMax() time.Duration {
	if d := b.Env.PhoneCache.OfflineMax; d > 0 {
		return d
	}
	return defaultCacheOfflineMax
}

func (b Balance) log() *slog.Logger {
	if b.Env.Log != nil {
		return b.Env.Log
	}
	return slog.New(slog.DiscardHandler)
}

// checkClientPIN enforces "BAL <PIN>" where the MFI asks for it: the PIN
// set for this client (mifos-edge client-pin), under the same lockout and
// daily budget as officers' PINs. A BAL without any PIN is not a guess.
func (b Balance) checkClientPIN(req Request, clientID int64) (Result, bool) {
	env := b.Env
	t := env.texts()
	words := req.Words()
	if len(words) < 2 {
		if _, ok, err := env.DB.ClientPIN(clientID); err != nil {
			return Result{Retry: true, Note: "client PIN unreadable: " + err.Error()}, false
		} else if !ok {
			return reply(t.Get("bal.pin_unset"), "balance refused: client has no PIN"), false
		}
		return reply(t.Get("bal.pin_wrong"), "balance refused: no client PIN given"), false
	}
	res, err := officer.CheckClientPIN(env.DB, clientID, words[1], env.now(), env.PINs, env.Pepper)
	if err != nil {
		return Result{Retry: true, Note: "client PIN check failed: " + err.Error()}, false
	}
	var out Result
	switch res.Outcome {
	case officer.OK:
		return Result{}, true
	case officer.NoPIN:
		return reply(t.Get("bal.pin_unset"), "balance refused: client has no PIN"), false
	case officer.Locked:
		out = env.lockedReply(res, "bal.pin_locked", "bal.pin_locked_reset", "balance refused: client PIN locked")
	case officer.BudgetSpent:
		out = reply(t.Get("bal.pin_paused"), "balance refused: the box's daily wrong client PIN budget is spent")
	case officer.MustReset:
		out = reply(t.Get("bal.pin_unset"), "balance refused: client PIN was set with another box key")
	default:
		out = reply(t.Get("bal.pin_wrong"), "balance refused: wrong client PIN")
	}
	out.Alerts = env.pinAlerts(res, t.Get("alert.who_client", "client", strconv.FormatInt(clientID, 10)), officer.KindClient)
	return out, false
}
