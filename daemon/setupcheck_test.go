package daemon

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/fineractsim"
)

// standInSetup starts the seeded stand-in on the business-date feature
// off, its tenant in UTC at 10:00 on 2 March 2026, and a [mifos] table for
// it; change lets a case adjust both before the check.
func standInSetup(t *testing.T) (*fineractsim.Server, *config.Config) {
	t.Helper()
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	fin, err := fineractsim.Start(fineractsim.Options{NoRequestLog: true, TimeZone: time.UTC, Clock: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fin.Close() })
	fin.Seed()
	cfg := &config.Config{Mifos: config.Mifos{BaseURL: fin.URL(), Tenant: "default", Username: "mifos", Password: "password",
		PaymentTypeID: fineractsim.SeedPaymentCash, Timezone: "UTC", Timeout: config.Duration{Duration: 5 * time.Second}}}
	return fin, cfg
}

func runSetupCheck(t *testing.T, cfg *config.Config) []SetupCheck {
	t.Helper()
	checks, err := CheckFineractConfig(context.Background(), cfg, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return checks
}

// checkOf finds the check called name.
func checkOf(t *testing.T, checks []SetupCheck, name string) SetupCheck {
	t.Helper()
	for _, c := range checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", name, checks)
	return SetupCheck{}
}

// A box set up right: the tenant answers, the user may do everything the
// box does, the payment type exists, and Fineract has no business date, so
// postings are dated in the tenant's zone.
func TestSetupCheckPassesOnAGoodSetup(t *testing.T) {
	_, cfg := standInSetup(t)
	checks := runSetupCheck(t, cfg)
	if len(checks) != 4 {
		t.Fatalf("checks %+v", checks)
	}
	for _, c := range checks {
		if !c.OK || c.Warn {
			t.Errorf("check %+v", c)
		}
	}
	if d := checkOf(t, checks, "payment type").Detail; d != `payment type 1 is "Cash"` {
		t.Errorf("payment type: %s", d)
	}
	if d := checkOf(t, checks, "business date").Detail; !strings.Contains(d, "Fineract has no business date") || !strings.Contains(d, "today 2026-03-02") {
		t.Errorf("business date: %s", d)
	}
}

// Each setup problem, as the stand-in answers it, is named in plain words
// with its fix.
func TestSetupCheckNamesEachProblem(t *testing.T) {
	for _, tc := range []struct {
		name, check string
		ok, warn    bool
		change      func(*fineractsim.Server, *config.Config)
		want        []string
	}{
		{name: "unknown tenant", check: "fineract", change: func(_ *fineractsim.Server, c *config.Config) { c.Mifos.Tenant = "defualt" },
			want: []string{`does not know the tenant "defualt"`, "set mifos.tenant"}},
		{name: "wrong password", check: "fineract", change: func(_ *fineractsim.Server, c *config.Config) { c.Mifos.Password = "wrong-one" },
			want: []string{`refuses user "mifos"`, "mifos.password_file"}},
		{name: "password to renew", check: "fineract", change: func(f *fineractsim.Server, _ *config.Config) { f.SetMustRenewPassword(true) },
			want: []string{"change its password"}},
		{name: "Fineract down", check: "fineract", change: func(f *fineractsim.Server, _ *config.Config) {
			if err := f.SetDown(true); err != nil {
				t.Fatal(err)
			}
		}, want: []string{"no answer from Fineract", "mifos.base_url"}},
		// The README used to name SAVE_COLLECTIONSHEET, the individual sheet's.
		{name: "the individual sheet's permission", check: "permissions", change: func(f *fineractsim.Server, _ *config.Config) {
			f.SetPermissions("ALL_FUNCTIONS_READ", "REPAYMENT_LOAN", "DEPOSIT_SAVINGSACCOUNT", "SAVE_COLLECTIONSHEET")
		}, want: []string{"lacks SAVECOLLECTIONSHEET_GROUP (COLLECT saves group collection sheets)", "Roles and Permissions"}},
		{name: "no business date permission", check: "business date", change: func(f *fineractsim.Server, _ *config.Config) {
			f.SetPermissions("READ_CLIENT", "READ_LOAN", "READ_SAVINGSACCOUNT", "READ_GROUP", "READ_STAFF", "READ_PAYMENTTYPE",
				"REPAYMENT_LOAN", "DEPOSIT_SAVINGSACCOUNT", "SAVECOLLECTIONSHEET_GROUP")
		}, want: []string{"READ_BUSINESS_DATE", "dated by the date in the tenant's time zone UTC"}},
		{name: "unknown payment type", check: "payment type", change: func(_ *fineractsim.Server, c *config.Config) { c.Mifos.PaymentTypeID = 9 },
			want: []string{"Fineract has no payment type 9", "mifos.payment_type_id"}},
		{name: "no payment type", check: "payment type", change: func(_ *fineractsim.Server, c *config.Config) { c.Mifos.PaymentTypeID = 0 },
			want: []string{"mifos.payment_type_id is not set", "savings deposit"}},
		{name: "stale business date", check: "business date", ok: true, warn: true, change: func(f *fineractsim.Server, _ *config.Config) {
			f.SetBusinessDate(time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC))
			f.SetBusinessDateEnabled(false)
		}, want: []string{"business date 2026-01-10 is more than 2 days behind", "today 2026-03-02"}},
		{name: "time zone not set", check: "business date", ok: true, warn: true, change: func(_ *fineractsim.Server, c *config.Config) { c.Mifos.Timezone = "" },
			want: []string{"since mifos.timezone is not set", "set mifos.timezone"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fin, cfg := standInSetup(t)
			tc.change(fin, cfg)
			c := checkOf(t, runSetupCheck(t, cfg), tc.check)
			if c.OK != tc.ok || c.Warn != tc.warn {
				t.Errorf("%+v: want ok %v warn %v", c, tc.ok, tc.warn)
			}
			for _, w := range tc.want {
				if !strings.Contains(c.Detail+" fix: "+c.Fix, w) {
					t.Errorf("%q lacks %q", c.Detail+" fix: "+c.Fix, w)
				}
			}
		})
	}
}

// The daemon checks its setup from its start: a problem is logged once as
// a WARN with its fix, kept for `mifos-edge status`, and checked again;
// once fixed, the log says so and the status shows no problem.
func TestDaemonChecksItsFineractSetupAtStart(t *testing.T) {
	fin, cfg := standInSetup(t)
	cfg.Mifos.PaymentTypeID = 9
	var logged bytes.Buffer
	api, err := newFineract(cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &Daemon{cfg: cfg, log: slog.New(slog.NewTextHandler(&logged, nil)), setupAPI: api}
	st := d.checkSetupOnce(context.Background(), nil)
	if len(st.Problems()) != 1 || d.setup.get() == nil || len(d.setup.get().Problems()) != 1 {
		t.Fatalf("status %+v", d.setup.get())
	}
	st = d.checkSetupOnce(context.Background(), st.told)
	if n := strings.Count(logged.String(), "Fineract has no payment type 9"); n != 1 {
		t.Fatalf("the problem was logged %d times:\n%s", n, logged.String())
	}
	if !strings.Contains(logged.String(), "level=WARN") || !strings.Contains(logged.String(), "fix: set mifos.payment_type_id") {
		t.Fatalf("log:\n%s", logged.String())
	}
	fin.AddPaymentType(9, "Bank")
	d.checkSetupOnce(context.Background(), st.told)
	if p := d.setup.get().Problems(); len(p) != 0 || !strings.Contains(logged.String(), "every check passes now") {
		t.Fatalf("after the fix: problems %+v, log:\n%s", p, logged.String())
	}
}

// With mobile disbursement on, the box's user needs DISBURSE_LOAN and the
// disbursement's payment type must exist.
func TestSetupCheckOfMobileDisbursement(t *testing.T) {
	_, cfg := standInSetup(t)
	cfg.Disbursement = config.Disbursement{Provider: config.ProviderSMSCommand, PaymentTypeID: fineractsim.SeedPaymentMpesa}
	checks := runSetupCheck(t, cfg)
	if c := checkOf(t, checks, "disbursement payment type"); !c.OK || c.Detail != `payment type 3 is "M-PESA"` {
		t.Errorf("existing type: %+v", c)
	}
	cfg.Disbursement.PaymentTypeID = 77
	c := checkOf(t, runSetupCheck(t, cfg), "disbursement payment type")
	if c.OK || !strings.Contains(c.Detail, "no payment type 77 (disbursement.payment_type_id)") || !strings.Contains(c.Fix, "set disbursement.payment_type_id") {
		t.Errorf("missing type: %+v", c)
	}
	found := false
	for _, p := range neededPermissions(cfg) {
		found = found || p.code == "DISBURSE_LOAN"
	}
	if !found {
		t.Error("DISBURSE_LOAN is not among the permissions checked")
	}
}
