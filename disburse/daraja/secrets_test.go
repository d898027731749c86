package daraja

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/darajasim"
)

// TestSecretsNeverLogged runs every path (payments paid and failed, a
// timeout, a duplicate, a replaced token, queries, callbacks good and bad)
// at debug level and looks for every secret in the log and the errors.
func TestSecretsNeverLogged(t *testing.T) {
	g := newRig(t)
	short := func() context.Context {
		c, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		t.Cleanup(cancel)
		return c
	}
	var errs []string
	note := func(err error) {
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	_, err := g.p.Submit(ctx, order("S1", "+254712345678", 100))
	note(err)
	g.sim.FailNext(darajasim.Fault{ResultCode: "2001"})
	_, err = g.p.Submit(ctx, order("S2", "+254712345678", 100))
	note(err)
	g.sim.FailNext(darajasim.Fault{Hang: true})
	_, err = g.p.Submit(short(), order("S3", "+254712345678", 100))
	note(err)
	_, err = g.p.Submit(ctx, order("S1", "+254712345678", 100))
	note(err)
	g.sim.RevokeToken()
	_, err = g.p.Submit(ctx, order("S4", "+254712345678", 150))
	note(err)
	_, err = g.p.Submit(ctx, order("S5", "+254712345678", 0))
	note(err)
	g.sim.FailNext(darajasim.Fault{Garbage: true})
	_, err = g.p.Submit(ctx, order("S6", "+254712345678", 100))
	note(err)
	for _, ref := range []string{"S1", "S3", "nobody"} {
		_, err = g.p.Query(ctx, order(ref, "+254712345678", 100), "")
		note(err)
	}
	g.sim.FailNextQuery(darajasim.Fault{LoseCallback: true})
	_, err = g.p.Query(short(), order("S1", "+254712345678", 100), "")
	note(err)
	serve(g.p, "POST", CallbackPrefix+testCBToken+"/result", "<html>")
	serve(g.p, "POST", CallbackPrefix+"wrong/result", cbPaid)
	g.rep.fail.Store(true)
	serve(g.p, "POST", CallbackPrefix+testCBToken+"/result", cbPaid)
	g.rep.fail.Store(false)
	g.sim.SetDown(darajasim.Unavailable)
	_, err = g.provider().Submit(ctx, order("S7", "+254712345678", 100))
	note(err)
	g.sim.SetDown(darajasim.Up)
	g.cfg.ConsumerSecret = "cs-wrong-Hq7"
	_, err = g.provider().Submit(ctx, order("S8", "+254712345678", 100))
	note(err)
	g.sim.Settle()

	// Printing a Config must not show them either.
	g.p.log.Info("config", "cfg", g.cfg)
	out := g.logs.String() + strings.Join(errs, "\n") + fmt.Sprintf("%v %+v %#v %s", g.cfg, g.cfg, g.cfg, g.cfg)
	if len(errs) < 6 || !strings.Contains(out, "daraja: payment request accepted") || !strings.Contains(out, "level=DEBUG") {
		t.Fatalf("the run did not take the paths it means to (%d errors):\n%s", len(errs), out)
	}
	secrets := map[string]string{
		"consumer key": testKey, "consumer secret": testSecret, "wrong secret": "cs-wrong-Hq7",
		"security credential": testCredential, "callback token": testCBToken,
		"basic auth": base64.StdEncoding.EncodeToString([]byte(testKey + ":" + testSecret)),
	}
	toks := g.sim.Tokens()
	if len(toks) < 2 {
		t.Fatalf("%d tokens issued", len(toks))
	}
	for i, tok := range toks {
		secrets[fmt.Sprint("access token ", i)] = tok
	}
	for name, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("the %s appears in the log or an error", name)
		}
	}
}
