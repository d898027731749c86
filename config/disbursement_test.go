package config

import (
	"strings"
	"testing"
)

// A valid [disbursement] of each provider, and each mistake named by its key.
func TestValidateDisbursement(t *testing.T) {
	daraja := func() Disbursement {
		return Disbursement{Provider: ProviderDaraja, PaymentTypeID: 6, DefaultLimit: 50000,
			Approvers: []Approver{{User: "jakinyi", StaffID: 14}},
			Daraja: Daraja{BaseURL: "https://api.safaricom.co.ke", ConsumerKeyFile: "/k", ConsumerSecretFile: "/s", InitiatorName: "api",
				SecurityCredentialFile: "/c", ShortCode: "600997", CallbackURL: "https://relay.example.org/me", CallbackTokenFile: "/t"}}
	}
	sms := func() Disbursement {
		return Disbursement{Provider: ProviderSMSCommand, PaymentTypeID: 7,
			SMSCommand: SMSCommand{Operator: "2882", ReplyFrom: []string{"GCash"}, Command: "SEND {amount} {phone} {pin}", PINFile: "/p",
				Success: `Ref\. No\. (?P<confirmation>[0-9]+)`, Failure: `failed: (?P<reason>.*)`}}
	}
	for _, c := range []struct {
		name   string
		d      Disbursement
		listen string
		want   string // "" = valid
	}{
		{"daraja", daraja(), "127.0.0.1:8080", ""},
		{"sms-command", sms(), "", ""},
		{"off", Disbursement{}, "", ""},
		{"unknown provider", Disbursement{Provider: "mpesa", PaymentTypeID: 1}, "", `disbursement.provider: "mpesa" is not a provider`},
		{"no payment type", func() Disbursement { d := sms(); d.PaymentTypeID = 0; return d }(), "", "disbursement.payment_type_id is required"},
		{"daraja without http", daraja(), "", "[http] listen is not set"},
		{"bad shortcode", func() Disbursement { d := daraja(); d.Daraja.ShortCode = "12"; return d }(), "127.0.0.1:8080", "disbursement.daraja.shortcode"},
		{"secret in no file", func() Disbursement { d := daraja(); d.Daraja.ConsumerSecretFile = ""; return d }(), "127.0.0.1:8080", "disbursement.daraja.consumer_secret_file is required"},
		{"command without amount", func() Disbursement { d := sms(); d.SMSCommand.Command = "SEND {phone}"; return d }(), "", "must contain {amount} and {phone}"},
		{"pin without file", func() Disbursement { d := sms(); d.SMSCommand.PINFile = ""; return d }(), "", "pin_file is required"},
		{"success without confirmation", func() Disbursement { d := sms(); d.SMSCommand.Success = `sent (?P<amount>\d+)`; return d }(), "", "(?P<confirmation>"},
		{"approver twice", func() Disbursement {
			d := sms()
			d.Approvers = []Approver{{User: "a", StaffID: 1}, {User: "A", StaffID: 2}}
			return d
		}(), "", `disbursement.approver[2].user: "A" is listed twice`},
		{"approver without staff", func() Disbursement { d := sms(); d.Approvers = []Approver{{User: "a"}}; return d }(), "", "disbursement.approver[1].staff_id is required"},
		{"limit key", func() Disbursement { d := sms(); d.Limits = map[string]int{"peter": 5}; return d }(), "", `disbursement.limits: key "peter"`},
		{"negative limit", func() Disbursement { d := sms(); d.DefaultLimit = -1; return d }(), "", "disbursement.default_limit must not be negative"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := &Config{Disbursement: c.d}
			cfg.HTTP.Listen = c.listen
			cfg.Disbursement.setDefaults()
			errs := cfg.validateDisbursement()
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			all := strings.Join(got, "\n")
			switch {
			case c.want == "" && len(errs) > 0:
				t.Fatalf("refused: %s", all)
			case c.want != "" && !strings.Contains(all, c.want):
				t.Fatalf("errors %q lack %q", all, c.want)
			}
		})
	}
}

// LimitOf takes a staff's own limit before the default.
func TestLimitOf(t *testing.T) {
	d := Disbursement{DefaultLimit: 50000, Limits: map[string]int{"12": 100000, "15": 0}}
	for staff, want := range map[int64]int{12: 100000, 15: 0, 14: 50000} {
		if got := d.LimitOf(staff); got != want {
			t.Errorf("LimitOf(%d) = %d, want %d", staff, got, want)
		}
	}
}
