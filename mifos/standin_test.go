package mifos_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/mifos"
)

// Staff reads the officer's office from GET /staff/{id} as the stand-in
// (modelled on Fineract's StaffData) serves it.
func TestStaffFromStandIn(t *testing.T) {
	fin, err := fineractsim.Start(fineractsim.Options{NoRequestLog: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fin.Close()
	fin.Seed()
	c, err := mifos.New(mifos.Config{BaseURL: fin.URL(), Tenant: "default", Username: "mifos", Password: "password"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Staff(context.Background(), fineractsim.SeedStaffPeter)
	if err != nil {
		t.Fatal(err)
	}
	if st.ID != fineractsim.SeedStaffPeter || st.OfficeID == 0 || !st.Active || st.DisplayName != "Peter Otieno" {
		t.Fatalf("staff %+v", st)
	}
	if _, err := c.Staff(context.Background(), 999); !errors.Is(err, mifos.ErrNotFound) {
		t.Fatalf("unknown staff: %v, want ErrNotFound", err)
	}
}
