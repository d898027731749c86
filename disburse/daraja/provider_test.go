package daraja

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/darajasim"
	"github.com/mifos-edge/mifos-edge/disburse"
)

var ctx = context.Background()

func TestSubmitPaidViaCallback(t *testing.T) {
	g := newRig(t, func(o *darajasim.Options, _ *Config) {
		o.Customers = map[string]darajasim.Customer{"254705912645": {Name: "NICHOLAS JOHN SONGOK"}}
	})
	conv, err := g.p.Submit(ctx, order("L981-1", "+254705912645", 1500))
	if err != nil || !strings.HasPrefix(conv, "AG_") {
		t.Fatalf("Submit: %q %v", conv, err)
	}
	got := g.rep.next(t)
	pays := g.sim.Payments()
	if len(pays) != 1 {
		t.Fatalf("payments %+v", pays)
	}
	want := disburse.Result{
		Ref: "L981-1", ProviderRef: conv, Outcome: disburse.Paid, Confirmation: pays[0].Receipt,
		At: time.Date(2024, 7, 6, 22, 48, 52, 0, nairobi), Code: "0", Amount: 1500_000_000,
		Phone: "+254705912645", Via: "callback",
	}
	if got.At.Equal(want.At) {
		got.At = want.At
	}
	if got != want {
		t.Fatalf("reported\n%+v\nwant\n%+v", got, want)
	}
	if pays[0].Amount != 1500 || pays[0].Phone != "254705912645" || pays[0].OriginatorConversationID != "L981-1" {
		t.Fatalf("paid %+v", pays[0])
	}
}

func TestSubmitFailureResults(t *testing.T) {
	cases := []struct {
		name  string
		setup func(g *rig)
		phone string
		kes   int64
		code  string
	}{
		{"initiator refused", func(g *rig) { g.sim.FailNext(darajasim.Fault{ResultCode: "2001"}) }, "+254712345678", 100, "2001"},
		{"float too low", func(g *rig) { g.sim.SetFloat(99) }, "+254712345678", 100, "1"},
		{"above maximum", func(*rig) {}, "+254712345678", 250_001, "3"},
		{"below minimum", func(*rig) {}, "+254712345678", 5, "2"},
		{"no such customer", func(g *rig) { g.sim.FailPhone("254799999999", darajasim.Fault{ResultCode: "SFC_IC0003"}) }, "+254799999999", 100, "SFC_IC0003"},
		{"unregistered", func(g *rig) { g.sim.FailNext(darajasim.Fault{ResultCode: "2040"}) }, "+254712345678", 100, "2040"},
		{"credential locked", func(g *rig) { g.sim.FailNext(darajasim.Fault{ResultCode: "8006"}) }, "+254712345678", 100, "8006"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := newRig(t)
			c.setup(g)
			before := g.sim.Float()
			if _, err := g.p.Submit(ctx, order("L1", c.phone, c.kes)); err != nil {
				t.Fatal(err)
			}
			got := g.rep.next(t)
			want := resultCodes[c.code]
			if got.Outcome != disburse.NotPaid || got.Code != c.code || got.Reason != want.words || got.Ref != "L1" ||
				got.Confirmation != "" || got.Amount != 0 {
				t.Fatalf("reported %+v, want not paid, code %s, %q", got, c.code, want.words)
			}
			if len(g.sim.Payments()) != 0 || g.sim.Float() != before {
				t.Fatal("paid")
			}
		})
	}
}

func TestSubmitRefusedBeforeSending(t *testing.T) {
	g := newRig(t)
	cases := []struct {
		name string
		o    disburse.Order
		word string
	}{
		{"cents", disburse.Order{Ref: "a", Phone: "+254712345678", Amount: 1500_500_000, Currency: "KES"}, "1500.500000 has cents"},
		{"zero", disburse.Order{Ref: "a", Phone: "+254712345678", Currency: "KES"}, "above zero"},
		{"negative", disburse.Order{Ref: "a", Phone: "+254712345678", Amount: -1_000_000}, "above zero"},
		{"shillings of another country", disburse.Order{Ref: "a", Phone: "+254712345678", Amount: 1_000_000, Currency: "UGX"}, "UGX"},
		{"a Ugandan phone", disburse.Order{Ref: "a", Phone: "+256712345678", Amount: 1_000_000}, "not a Kenyan mobile"},
		{"a landline", disburse.Order{Ref: "a", Phone: "+254202345678", Amount: 1_000_000}, "not a Kenyan mobile"},
		{"a national number", disburse.Order{Ref: "a", Phone: "0712345678", Amount: 1_000_000}, "not a Kenyan mobile"},
		{"no reference", disburse.Order{Phone: "+254712345678", Amount: 1_000_000}, "no reference"},
	}
	for _, c := range cases {
		_, err := g.p.Submit(ctx, c.o)
		var rf *disburse.RefusedError
		if !errors.As(err, &rf) || !strings.Contains(rf.Reason, c.word) {
			t.Errorf("%s: %v, want a refusal saying %q", c.name, err, c.word)
		}
	}
	if n := g.sim.Requests(); n.B2C != 0 || n.OAuth != 0 {
		t.Fatalf("requests were sent: %+v", n)
	}
}

func TestSubmitGatewayRefusal(t *testing.T) {
	g := newRig(t, func(_ *darajasim.Options, c *Config) { c.CommandID = "LoanPayment" })
	_, err := g.p.Submit(ctx, order("a", "+254712345678", 100))
	var rf *disburse.RefusedError
	if !errors.As(err, &rf) || rf.Code != "400.002.02" || !strings.Contains(rf.Reason, "command_id") {
		t.Fatalf("%v, want a refusal naming command_id", err)
	}
	if len(g.settled()) != 0 || len(g.sim.Payments()) != 0 {
		t.Fatal("a refused request paid or called back")
	}
}

// TestTimeoutThenQueryPaid: the answer never comes and the result is lost;
// the line is unknown, the query finds it paid, a resend is a duplicate,
// and M-PESA paid it once.
func TestTimeoutThenQueryPaid(t *testing.T) {
	g := newRig(t)
	g.sim.FailNext(darajasim.Fault{Hang: true, LoseCallback: true})
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	conv, err := g.p.Submit(short, order("L7", "+254712345678", 2500))
	if !unknown(err) || conv != "" {
		t.Fatalf("Submit: %q %v, want an unknown outcome", conv, err)
	}
	res, err := g.p.Query(ctx, order("L7", "+254712345678", 2500), "")
	pays := g.sim.Payments()
	if err != nil || len(pays) != 1 {
		t.Fatalf("Query: %+v %v; payments %+v", res, err, pays)
	}
	if res.Outcome != disburse.Paid || res.Confirmation != pays[0].Receipt || res.Amount != 2500_000_000 ||
		res.Ref != "L7" || res.ProviderRef != pays[0].ConversationID || res.Phone != "+254712345678" ||
		!res.At.Equal(pays[0].At) || res.Via != "status query" {
		t.Fatalf("Query: %+v, paid %+v", res, pays[0])
	}
	_, err = g.p.Submit(ctx, order("L7", "+254712345678", 2500))
	if !errors.Is(err, ErrDuplicate) || !unknown(err) {
		t.Fatalf("resend: %v, want ErrDuplicate (unknown, not a refusal)", err)
	}
	if len(g.sim.Payments()) != 1 || len(g.settled()) != 0 {
		t.Fatalf("payments %+v, reports %+v", g.sim.Payments(), g.rep.all())
	}
}

func TestLostCallbackQueryResolves(t *testing.T) {
	g := newRig(t)
	g.sim.FailNext(darajasim.Fault{LoseCallback: true})
	conv, err := g.p.Submit(ctx, order("L8", "+254712345678", 100))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.settled()) != 0 {
		t.Fatal("a lost callback arrived")
	}
	res, err := g.p.Query(ctx, order("L8", "+254712345678", 100), conv)
	if err != nil || res.Outcome != disburse.Paid || res.Confirmation != g.sim.Payments()[0].Receipt || res.ProviderRef != conv {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestDuplicateCallbackReportedTwice(t *testing.T) {
	g := newRig(t)
	g.sim.FailNext(darajasim.Fault{DuplicateCallback: true})
	if _, err := g.p.Submit(ctx, order("L9", "+254712345678", 100)); err != nil {
		t.Fatal(err)
	}
	got := g.settled()
	if len(got) != 2 || got[0] != got[1] || got[0].Ref != "L9" || got[0].Outcome != disburse.Paid {
		t.Fatalf("reports %+v, want the same paid result twice", got)
	}
	if len(g.sim.Payments()) != 1 {
		t.Fatal("paid twice")
	}
}

func TestGarbageIsUnknown(t *testing.T) {
	g := newRig(t)
	g.sim.FailNext(darajasim.Fault{Garbage: true})
	_, err := g.p.Submit(ctx, order("L10", "+254712345678", 100))
	if !unknown(err) || !strings.Contains(err.Error(), "not its JSON") {
		t.Fatalf("%v, want an unknown outcome", err)
	}
	res, err := g.p.Query(ctx, order("L10", "+254712345678", 100), "")
	if err != nil || res.Outcome != disburse.NoRecord {
		t.Fatalf("Query: %+v %v, want no record", res, err)
	}
}

func TestDown(t *testing.T) {
	cases := []struct {
		name    string
		warm    bool // the provider holds a token already
		down    func(g *rig)
		notSent bool
	}{
		{"503 on the token", false, func(g *rig) { g.sim.SetDown(darajasim.Unavailable) }, true},
		{"connection dropped on the token", false, func(g *rig) { g.sim.SetDown(darajasim.Closed) }, true},
		{"connection refused", true, func(g *rig) { g.api.Close() }, true},
		{"503 on the payment", true, func(g *rig) { g.sim.FailNext(darajasim.Fault{Unavailable: true}) }, false},
		{"connection dropped on the payment", true, func(g *rig) { g.sim.FailNext(darajasim.Fault{CloseConn: true}) }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := newRig(t)
			if c.warm {
				if _, err := g.p.accessToken(ctx); err != nil {
					t.Fatal(err)
				}
			}
			c.down(g)
			_, err := g.p.Submit(ctx, order("L11", "+254712345678", 100))
			var ns *disburse.NotSentError
			if errors.As(err, &ns) != c.notSent || err == nil {
				t.Fatalf("%v: not sent %v, want %v", err, errors.As(err, &ns), c.notSent)
			}
			if c.notSent == unknown(err) {
				t.Fatalf("%v is both or neither", err)
			}
			if len(g.sim.Payments()) != 0 {
				t.Fatal("paid")
			}
		})
	}
}

func TestNoDNS(t *testing.T) {
	g := newRig(t)
	g.cfg.HTTP = &http.Client{Transport: &http.Transport{DialContext: func(_ context.Context, _, addr string) (net.Conn, error) {
		return nil, &net.DNSError{Err: "no such host", Name: addr, IsNotFound: true}
	}}}
	_, err := g.provider().Submit(ctx, order("L12", "+254712345678", 100))
	var ns *disburse.NotSentError
	if !errors.As(err, &ns) || g.sim.Requests().OAuth != 0 {
		t.Fatalf("%v, want not sent", err)
	}
}

func TestTokenRefreshAfter401(t *testing.T) {
	g := newRig(t)
	if _, err := g.p.Submit(ctx, order("a", "+254712345678", 100)); err != nil {
		t.Fatal(err)
	}
	g.sim.RevokeToken() // as a token made elsewhere for the same app does
	if _, err := g.p.Submit(ctx, order("b", "+254712345678", 100)); err != nil {
		t.Fatalf("after the token was replaced: %v", err)
	}
	if n := g.sim.Requests(); n.OAuth != 2 || n.B2C != 3 {
		t.Fatalf("requests %+v, want 2 tokens and 3 payment requests (one refused)", n)
	}
	if len(g.sim.Payments()) != 2 {
		t.Fatal(g.sim.Payments())
	}
}

func TestTokenCachedAndRenewedBeforeExpiry(t *testing.T) {
	for _, number := range []bool{false, true} {
		g := newRig(t, func(o *darajasim.Options, _ *Config) { o.ExpiresInNumber = number })
		submit := func(ref string) {
			if _, err := g.p.Submit(ctx, order(ref, "+254712345678", 100)); err != nil {
				t.Fatal(err)
			}
		}
		submit("a")
		g.clk.advance(3599*time.Second - time.Minute - time.Second)
		submit("b")
		if n := g.sim.Requests().OAuth; n != 1 {
			t.Fatalf("expires_in as a number %v: %d tokens, want 1", number, n)
		}
		g.clk.advance(2 * time.Second)
		submit("c")
		if n := g.sim.Requests(); n.OAuth != 2 || n.B2C != 3 {
			t.Fatalf("expires_in as a number %v: %+v, want a new token before the old lapsed (no 401)", number, n)
		}
	}
}

func TestConcurrentSubmitsShareOneToken(t *testing.T) {
	g := newRig(t)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			_, err := g.p.Submit(ctx, order(string(rune('A'+i)), "+254712345678", 100))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := g.sim.Requests(); n.OAuth != 1 || n.B2C != 20 {
		t.Fatalf("requests %+v, want 1 token for 20 payments", n)
	}
}

func TestQuery(t *testing.T) {
	cases := []struct {
		name    string
		setup   func(g *rig)
		outcome disburse.Outcome
		code    string
	}{
		{"never sent", func(*rig) {}, disburse.NoRecord, "R000001"},
		{"failed", func(g *rig) {
			g.sim.FailNext(darajasim.Fault{ResultCode: "1"})
			_, _ = g.p.Submit(ctx, order("Q", "+254712345678", 100))
		}, disburse.NotPaid, "Failed"},
		{"expired in the queue", func(g *rig) {
			g.sim.FailNext(darajasim.Fault{QueueTimeout: true})
			_, _ = g.p.Submit(ctx, order("Q", "+254712345678", 100))
		}, disburse.NoRecord, "R000001"},
		{"paid despite the queue time-out", func(g *rig) {
			g.sim.FailNext(darajasim.Fault{QueueTimeout: true, QueueTimeoutPaid: true})
			_, _ = g.p.Submit(ctx, order("Q", "+254712345678", 100))
		}, disburse.Paid, "Completed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := newRig(t)
			c.setup(g)
			res, err := g.p.Query(ctx, order("Q", "+254712345678", 100), "")
			if err != nil || res.Outcome != c.outcome || res.Code != c.code || res.Ref != "Q" || res.Via != "status query" {
				t.Fatalf("%+v %v, want %s %s", res, err, c.outcome, c.code)
			}
		})
	}
}

func TestQueryUnanswered(t *testing.T) {
	cases := []struct {
		name  string
		setup func(g *rig)
		word  string
	}{
		{"status result lost", func(g *rig) {
			g.sim.FailNextQuery(darajasim.Fault{LoseCallback: true})
			g.cfg.Timeout = 300 * time.Millisecond
			g.use(g.provider())
		}, "no result within"},
		{"status query timed out in the queue", func(g *rig) { g.sim.FailNextQuery(darajasim.Fault{QueueTimeout: true}) }, "timed out in Daraja's queue"},
		{"Daraja down", func(g *rig) { g.sim.SetDown(darajasim.Unavailable) }, "not sent"},
		{"garbage", func(g *rig) { g.sim.FailNextQuery(darajasim.Fault{Garbage: true}) }, "not its JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := newRig(t)
			c.setup(g)
			res, err := g.p.Query(ctx, order("Q", "+254712345678", 100), "")
			var ns *disburse.NotSentError
			var rf *disburse.RefusedError
			if err == nil || errors.As(err, &ns) || errors.As(err, &rf) || !strings.Contains(err.Error(), c.word) {
				t.Fatalf("%+v %v, want a plain error saying %q", res, err, c.word)
			}
		})
	}
}

func TestQueryWrongCredentialSaysSo(t *testing.T) {
	g := newRig(t)
	// One provider serves the callbacks and asks, with a credential M-PESA refuses.
	g.cfg.SecurityCredential = "another"
	g.use(g.provider())
	_, err := g.p.Query(ctx, order("Q", "+254712345678", 100), "")
	if err == nil || !strings.Contains(err.Error(), "code 2001") {
		t.Fatalf("%v, want the query's 2001", err)
	}
}

// TestLateStatusReported: a status result that comes after its query gave
// up is still recorded when it settles the line.
func TestLateStatusReported(t *testing.T) {
	g := newRig(t, func(o *darajasim.Options, _ *Config) { o.ResultDelay = time.Second })
	g.sim.FailNext(darajasim.Fault{LoseCallback: true})
	if _, err := g.p.Submit(ctx, order("L13", "+254712345678", 100)); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if _, err := g.p.Query(short, order("L13", "+254712345678", 100), ""); err == nil || !strings.Contains(err.Error(), "gave up") {
		t.Fatalf("%v, want the query to give up", err)
	}
	got := g.rep.next(t)
	if got.Ref != "L13" || got.Outcome != disburse.Paid || got.Via != "status query" || got.Confirmation != g.sim.Payments()[0].Receipt {
		t.Fatalf("late status %+v", got)
	}
}

func TestQueueTimeoutReported(t *testing.T) {
	g := newRig(t)
	g.sim.FailNext(darajasim.Fault{QueueTimeout: true})
	conv, err := g.p.Submit(ctx, order("L14", "+254712345678", 100))
	if err != nil {
		t.Fatal(err)
	}
	got := g.rep.next(t)
	if got.Ref != "L14" || got.ProviderRef != conv || got.Outcome != disburse.TimedOut || got.Via != "callback" {
		t.Fatalf("%+v", got)
	}
}

func TestReportFailureMakesDarajaPostAgain(t *testing.T) {
	g := newRig(t, func(o *darajasim.Options, _ *Config) { o.CallbackRetries = 1 })
	g.rep.fail.Store(true)
	if _, err := g.p.Submit(ctx, order("L15", "+254712345678", 100)); err != nil {
		t.Fatal(err)
	}
	g.sim.Settle()
	d := g.sim.Deliveries()
	if len(d) != 2 || d[0].Status != 500 || d[1].Status != 500 || len(g.rep.all()) != 0 {
		t.Fatalf("deliveries %+v", d)
	}
}

func TestNewChecksConfig(t *testing.T) {
	good := Config{BaseURL: "https://api.example", ConsumerKey: "k", ConsumerSecret: "s", InitiatorName: "i",
		SecurityCredential: "c", ShortCode: "600997", ResultURL: "https://x/r", QueueTimeOutURL: "https://x/t",
		StatusResultURL: "https://x/sr", StatusTimeOutURL: "https://x/st", CallbackToken: "tok"}
	if _, err := New(good, newReporter(), nil); err != nil {
		t.Fatal(err)
	}
	bad := good
	bad.ConsumerSecret, bad.ResultURL = "", "ftp://x/r"
	_, err := New(bad, newReporter(), nil)
	if err == nil || !strings.Contains(err.Error(), "consumer secret is empty") || !strings.Contains(err.Error(), "result URL") {
		t.Fatalf("%v", err)
	}
	if _, err := New(good, nil, nil); err == nil {
		t.Fatal("no reporter accepted")
	}
}
