//go:build !nodemo

package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/darajasim"
	"github.com/mifos-edge/mifos-edge/fineractsim"
)

// The demo's mobile disbursement: the Daraja stand-in pays, its results
// come back to the daemon's HTTP server as they would through the relay.

// Peter's own Mifos user, who builds disbursement batches in the console.
const (
	demoPeterUser     = "potieno"
	demoPeterPassword = "Peter-2024!"
)

// demoDaraja is the running Daraja stand-in.
type demoDaraja struct {
	sim *darajasim.Server
	srv *httptest.Server
}

func (d *demoDaraja) Close() { d.srv.Close(); d.sim.Close() }

// setUpDemoDisbursement starts the Daraja stand-in and sets [disbursement]
// as the README's example does, its secrets in files in dir.
func setUpDemoDisbursement(cfg *config.Config, fin *fineractsim.Server, dir, httpAddr string) (*demoDaraja, error) {
	sim := darajasim.New(darajasim.Options{ResultDelay: 800 * time.Millisecond})
	d := &demoDaraja{sim: sim, srv: httptest.NewServer(sim)}
	write := func(name, content string) (string, error) {
		p := filepath.Join(dir, name)
		return p, os.WriteFile(p, []byte(content+"\n"), 0o600)
	}
	var files [3]string
	for i, kv := range [][2]string{{"daraja-consumer-key", "key"}, {"daraja-consumer-secret", "secret"}, {"daraja-security-credential", "credential"}} {
		p, err := write(kv[0], kv[1])
		if err != nil {
			d.Close()
			return nil, err
		}
		files[i] = p
	}
	cfg.Disbursement = config.Disbursement{
		Provider: config.ProviderDaraja, PaymentTypeID: fineractsim.SeedPaymentMpesa, DefaultLimit: 50000,
		Approvers: []config.Approver{{User: fineractsim.SeedManager, StaffID: fineractsim.SeedStaffJane}},
		Daraja: config.Daraja{BaseURL: d.srv.URL, ConsumerKeyFile: files[0], ConsumerSecretFile: files[1], InitiatorName: "apiop",
			SecurityCredentialFile: files[2], ShortCode: "600997", CallbackURL: "http://" + httpAddr,
			CallbackTokenFile: filepath.Join(dir, "daraja-callback-token")},
	}
	fin.AddUser(fineractsim.User{ID: 9, Username: demoPeterUser, Password: demoPeterPassword, Firstname: "Peter", Lastname: "Otieno",
		OfficeID: fineractsim.SeedOffice, StaffID: fineractsim.SeedStaffPeter, Roles: []string{"Loan Officer"},
		Permissions: []string{"READ_LOAN", "READ_CLIENT", "READ_GROUP", "DISBURSE_LOAN"}})
	return d, nil
}

// buildDemoBatch builds a batch of the Tujenge group's approved loans as
// Peter would, through the running daemon.
func buildDemoBatch(ctx context.Context, socket string) {
	a := daemon.DisburseCreateArgs{StaffID: fineractsim.SeedStaffPeter, By: "staff 12 via the demo",
		Items: []daemon.DisburseItem{{LoanID: fineractsim.SeedLoanRose}, {LoanID: fineractsim.SeedLoanLucy},
			{LoanID: fineractsim.SeedLoanJoyce}, {LoanID: fineractsim.SeedLoanMercy}}}
	var res daemon.DisburseCreateResult
	if err := control.Call(ctx, socket, daemon.OpDisburseCreate, a, &res); err != nil {
		fmt.Println("disbursement batch not built:", strings.ReplaceAll(err.Error(), "\n", "\n  "))
		return
	}
	fmt.Printf("Disbursement batch %d built: %d lines, %s (Peter's limit %s): ", res.Batch.ID, len(res.Batch.Lines), res.Batch.Total, res.Batch.Limit)
	if res.Batch.NeedsApproval {
		fmt.Printf("sign in to the console as %s, open Disburse > batch %d, Approve, then Send.\n", fineractsim.SeedManager, res.Batch.ID)
	} else {
		fmt.Printf("open Disburse > batch %d in the console and Send.\n", res.Batch.ID)
	}
}
