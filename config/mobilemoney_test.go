package config

import (
	"strings"
	"testing"
)

func TestMobileMoneyKeys(t *testing.T) {
	c, err := Parse([]byte(minimal+"[mifos]\nbase_url = \"https://f.example.org/fineract-provider\"\ntenant = \"default\"\nusername = \"sms\"\npassword_file = \"/etc/pw\"\n"+
		"[mobile_money]\noperators = [\"mpesa-ke\", \"gcash\"]\npayment_type_id = 4\nmax_amount = 50000\n"), "f.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	m := c.MobileMoney
	if !m.Enabled() || len(m.Operators) != 2 || m.PaymentTypeID != 4 || m.MaxAmount != 50000 || m.Allocate != AllocateOverdueFirst {
		t.Fatalf("parsed %+v", m)
	}
	for _, tc := range []struct {
		mutate func(*MobileMoney)
		want   string
	}{
		{func(m *MobileMoney) { m.Operators = []string{"mpesa"} }, `mobile_money.operators[0]: "mpesa" is not an operator this box knows`},
		{func(m *MobileMoney) { m.Operators = []string{"gcash", "gcash"} }, `"gcash" is listed twice`},
		{func(m *MobileMoney) { m.PaymentTypeID = 0 }, "mobile_money.payment_type_id is required"},
		{func(m *MobileMoney) { m.MaxAmount = -1 }, "mobile_money.max_amount must not be negative"},
		{func(m *MobileMoney) { m.Allocate = "savings-first" }, `mobile_money.allocate: "savings-first" is not a rule`},
	} {
		bad := *c
		bad.MobileMoney = m
		bad.MobileMoney.Operators = append([]string(nil), m.Operators...)
		tc.mutate(&bad.MobileMoney)
		if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v; want %q", bad.MobileMoney, err, tc.want)
		}
	}
	// Off (no operators) needs nothing else.
	off := *c
	off.MobileMoney = MobileMoney{Allocate: AllocateOverdueFirst}
	off.Mifos = Mifos{}
	if err := off.Validate(); err != nil {
		t.Fatal(err)
	}
	noMifos := *c
	noMifos.Mifos = Mifos{}
	if err := noMifos.Validate(); err == nil || !strings.Contains(err.Error(), "mifos.base_url is not") {
		t.Fatalf("without mifos: %v", err)
	}
}
