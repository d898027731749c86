package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/fineractsim"
)

// doctor checks the Fineract setup too: the tenant answers, the user's
// permissions, the payment type and the date Fineract takes for today, each
// OK, WARN or PROBLEM with its fix.
func TestDoctorChecksTheFineractSetup(t *testing.T) {
	fin, err := fineractsim.Start(fineractsim.Options{NoRequestLog: true, TimeZone: time.UTC, Password: "Doctor-Pw-77"})
	if err != nil {
		t.Fatal(err)
	}
	defer fin.Close()
	fin.Seed()
	fin.SetPermissions("ALL_FUNCTIONS_READ", "REPAYMENT_LOAN", "DEPOSIT_SAVINGSACCOUNT", "SAVE_COLLECTIONSHEET")
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "mifos-edge.toml")
	writeMode(t, cfgPath, "[modem]\ndevice = \""+filepath.Join(dir, "no-modem")+"\"\n[store]\npath = \""+filepath.Join(dir, "state.db")+"\"\n"+
		"[mifos]\nbase_url = \""+fin.URL()+"\"\ntenant = \"default\"\nusername = \"mifos\"\npassword = \"Doctor-Pw-77\"\npayment_type_id = 9\n", 0o600)
	var out bytes.Buffer
	err = (&DoctorCommand{Stdout: &out}).Run(context.Background(), []string{"--config", cfgPath})
	if err == nil {
		t.Fatalf("doctor found no problem:\n%s", out.String())
	}
	got := out.String()
	for _, w := range []string{
		`OK       fineract       tenant "default" answers; user "mifos"`,
		`PROBLEM  permissions    user "mifos" lacks SAVECOLLECTIONSHEET_GROUP (COLLECT saves group collection sheets)`,
		"PROBLEM  payment type   Fineract has no payment type 9",
		"fix: set mifos.payment_type_id",
		"WARN     business date  Fineract has no business date (the feature is not used)",
		"fix: set mifos.timezone",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("doctor output lacks %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, "Doctor-Pw-77") {
		t.Errorf("doctor prints the password:\n%s", got)
	}
}

// status shows the daemon's last setup check: each problem with its fix,
// and that postings wait on it.
func TestStatusShowsTheFineractSetup(t *testing.T) {
	var out bytes.Buffer
	printFineractStatus(&out, &daemon.FineractStatus{CheckedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), Checks: []daemon.SetupCheck{
		{Name: "fineract", OK: true, Detail: "tenant answers"},
		{Name: "payment type", Detail: "Fineract has no payment type 9", Fix: "set mifos.payment_type_id"},
	}})
	want := "fineract: 1 setup problem(s) (checked 2026-03-02 09:00:00); postings that need it wait until it is fixed:\n" +
		"          PROBLEM payment type: Fineract has no payment type 9\n" +
		"                  fix: set mifos.payment_type_id\n"
	if out.String() != want {
		t.Errorf("status:\n%s\nwant:\n%s", out.String(), want)
	}
}
