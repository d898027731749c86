package smscommand

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/disburse"
)

const testPIN = "4821"

// gcash is the example setting with a PIN, as a box would run it.
func gcash(mod func(*Config)) Config {
	c := GCashExample()
	c.PIN = testPIN
	if mod != nil {
		mod(&c)
	}
	return c
}

func provider(t testing.TB, c Config) *Provider {
	t.Helper()
	p, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const php = 1_000_000 // one peso in millionths

func order(amount int64, number string) disburse.Order {
	return disburse.Order{LineID: 7, Ref: "D7-0001", Phone: number, Amount: amount, Currency: "PHP", Remarks: "Loan 000000981"}
}

func TestCommand(t *testing.T) {
	cases := []struct {
		name string
		cfg  func(*Config)
		o    disburse.Order
		want string
	}{
		{"national, whole pesos get both decimals", nil, order(1000*php, "+639171234567"), "SEND 1000.00 09171234567 4821"},
		{"no thousands separators", nil, order(1_234_567*php+500_000, "+639171234567"), "SEND 1234567.50 09171234567 4821"},
		{"centavos", nil, order(10_000, "+639171234567"), "SEND 0.01 09171234567 4821"},
		{"digits", func(c *Config) { c.PhoneFormat = PhoneDigits }, order(250*php, "+639181112222"), "SEND 250.00 639181112222 4821"},
		{"empty format is digits", func(c *Config) { c.PhoneFormat = "" }, order(250*php, "+639181112222"), "SEND 250.00 639181112222 4821"},
		{"international", func(c *Config) { c.PhoneFormat = PhoneInternational }, order(250*php, "+639181112222"), "SEND 250.00 +639181112222 4821"},
		{"a number written otherwise is read first", nil, order(250*php, "639181112222"), "SEND 250.00 09181112222 4821"},
		{"a currency without decimals", func(c *Config) { c.Country = "UG"; c.PhoneFormat = PhoneNational },
			disburse.Order{Ref: "r", Phone: "+256772123456", Amount: 50_000 * php, Currency: "UGX"}, "SEND 50000 0772123456 4821"},
		{"a currency with three decimals", func(c *Config) { c.PhoneFormat = PhoneInternational },
			disburse.Order{Ref: "r", Phone: "+639171234567", Amount: 1_500_000, Currency: "KWD"}, "SEND 1.500 +639171234567 4821"},
		{"ref and PIN elsewhere", func(c *Config) { c.Command = "PAY {ref} {phone} {amount} PIN {pin}" }, order(5*php, "+639171234567"),
			"PAY D7-0001 09171234567 5.00 PIN 4821"},
		{"a value is never read as a placeholder", func(c *Config) { c.Command = "PAY {amount} {phone} {ref} {pin}" },
			disburse.Order{Ref: "{pin}", Phone: "+639171234567", Amount: php, Currency: "PHP"}, "PAY 1.00 09171234567 {pin} 4821"},
		{"no PIN in the command", func(c *Config) { c.Command = "SEND {amount} {phone}"; c.PIN = "" }, order(php, "+639171234567"), "SEND 1.00 09171234567"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := provider(t, gcash(tc.cfg))
			to, text, err := p.Command(tc.o)
			if err != nil || to != "2882" || text != tc.want {
				t.Fatalf("Command = %q, %q, %v; want 2882, %q", to, text, err, tc.want)
			}
		})
	}
}

func TestCommandRefuses(t *testing.T) {
	long := strings.Repeat("R", 150)
	cases := []struct {
		name string
		cfg  func(*Config)
		o    disburse.Order
		want string // in the error
	}{
		{"a fraction of a centavo", nil, order(1000*php+5_000, "+639171234567"), "more decimals than the currency's 2"},
		{"a fraction of a shilling", func(c *Config) { c.PhoneFormat = PhoneInternational },
			disburse.Order{Phone: "+256772123456", Amount: 50_000*php + 500_000, Currency: "UGX"}, "more decimals than the currency's 0"},
		{"nothing to pay", nil, order(0, "+639171234567"), "not positive"},
		{"a negative amount", nil, order(-5*php, "+639171234567"), "not positive"},
		{"no currency", nil, disburse.Order{Phone: "+639171234567", Amount: php}, "not an ISO 4217 code"},
		{"a currency in lower case", nil, disburse.Order{Phone: "+639171234567", Amount: php, Currency: "php"}, "not an ISO 4217 code"},
		{"a foreign number has no national form", nil, order(php, "+254722000012"), "not a number of PH"},
		{"not a number", nil, order(php, "GCash"), "wallet number"},
		{"a masked number", func(c *Config) { c.PhoneFormat = PhoneDigits }, order(php, "+63917***4567"), "hidden"},
		{"ref with a space", func(c *Config) { c.Command = "SEND {amount} {phone} {pin} {ref}" },
			disburse.Order{Ref: "D7 1", Phone: "+639171234567", Amount: php, Currency: "PHP"}, "holds a space"},
		{"ref missing", func(c *Config) { c.Command = "SEND {amount} {phone} {pin} {ref}" },
			disburse.Order{Phone: "+639171234567", Amount: php, Currency: "PHP"}, "no reference"},
		{"ref outside GSM 7-bit", func(c *Config) { c.Command = "SEND {amount} {phone} {pin} {ref}" },
			disburse.Order{Ref: "D7-₱1", Phone: "+639171234567", Amount: php, Currency: "PHP"}, "not in the GSM 7-bit alphabet"},
		{"longer than one SMS", func(c *Config) { c.Command = "SEND {amount} {phone} {pin} {ref}" },
			disburse.Order{LineID: 9, Ref: long, Phone: "+639171234567", Amount: php, Currency: "PHP"}, "longer than one SMS (160"},
		// "[" costs two septets (escape + character): 80 of them are 160
		// characters of text but 160 septets more than the bare command.
		{"extension characters count twice", func(c *Config) { c.Command = "{amount} {phone} {pin} {ref}" },
			disburse.Order{Ref: strings.Repeat("[", 70), Phone: "+639171234567", Amount: php, Currency: "PHP"}, "longer than one SMS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := provider(t, gcash(tc.cfg))
			to, text, err := p.Command(tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Command = %q, %q, %v; want an error with %q", to, text, err, tc.want)
			}
			if strings.Contains(err.Error(), testPIN) {
				t.Fatalf("error %q shows the PIN", err)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("line %d (%s)", tc.o.LineID, tc.o.Ref)) {
				t.Fatalf("error %q does not name the line", err)
			}
		})
	}
}

// The boundary: exactly 160 septets is one SMS, 161 is two.
func TestCommandFitsOneSMSExactly(t *testing.T) {
	p := provider(t, gcash(func(c *Config) { c.Command = "{amount} {phone} {pin} {ref}" }))
	fixed := len("1.00 09171234567 4821 ")
	o := order(php, "+639171234567")
	o.Ref = strings.Repeat("x", 160-fixed)
	if _, text, err := p.Command(o); err != nil || len(text) != 160 {
		t.Fatalf("160 characters: %d, %v", len(text), err)
	}
	o.Ref += "x"
	if _, _, err := p.Command(o); err == nil {
		t.Fatal("161 characters were accepted")
	}
}

func TestNewRefuses(t *testing.T) {
	secretPIN := "Zq9₱x"
	cases := []struct {
		name string
		cfg  func(*Config)
		want string
	}{
		{"no operator", func(c *Config) { c.Operator = "" }, "operator"},
		{"operator not a number", func(c *Config) { c.Operator = "GCash" }, "operator"},
		{"no reply sender", func(c *Config) { c.ReplyFrom = nil }, "reply_from"},
		{"an empty reply sender", func(c *Config) { c.ReplyFrom = []string{"GCash", ""} }, "reply_from"},
		{"no template", func(c *Config) { c.Command = "" }, "required"},
		{"unknown placeholder", func(c *Config) { c.Command = "SEND {amount} {phone} {mpin}" }, "{mpin} is not a placeholder"},
		{"no amount", func(c *Config) { c.Command = "SEND {phone} {pin}" }, "must contain {amount}"},
		{"no phone", func(c *Config) { c.Command = "SEND {amount} {pin}" }, "must contain {phone}"},
		{"template outside GSM 7-bit", func(c *Config) { c.Command = "PADALA ₱{amount} {phone} {pin}" }, "GSM 7-bit"},
		{"{pin} without a PIN", func(c *Config) { c.PIN = "" }, "no PIN"},
		{"PIN with a space", func(c *Config) { c.PIN = "48 21" }, "space"},
		{"PIN outside GSM 7-bit", func(c *Config) { c.PIN = Secret(secretPIN) }, "GSM 7-bit"},
		{"template and PIN too long", func(c *Config) { c.Command = strings.Repeat("W", 150) + " {amount} {phone} {pin}"; c.PIN = "123456789" }, "longer than one SMS"},
		{"phone format", func(c *Config) { c.PhoneFormat = "e164" }, "phone_format"},
		{"national form of an unknown country", func(c *Config) { c.Country = "GB" }, "national form"},
		{"national form without a country", func(c *Config) { c.Country = "" }, "national form"},
		{"success missing", func(c *Config) { c.Success = "" }, "success"},
		{"success without confirmation", func(c *Config) { c.Success = `You have sent PHP (?P<amount>[0-9,.]+)` }, "confirmation"},
		{"success broken", func(c *Config) { c.Success = `You have sent (` }, "success"},
		{"failure missing", func(c *Config) { c.Failure = "" }, "failure"},
		{"failure broken", func(c *Config) { c.Failure = `failed[` }, "failure"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(gcash(tc.cfg))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, %v; want an error with %q", p, err, tc.want)
			}
			for _, pin := range []string{testPIN, secretPIN, "48 21", "123456789"} {
				if strings.Contains(err.Error(), pin) {
					t.Fatalf("error %q shows the PIN", err)
				}
			}
		})
	}
}

// The stand-in's words (package modemsim), as the GCash example reads them.
const (
	sentText   = "You have sent PHP 1,000.00 to 09171234567. Ref. No. 7012121108038. Your new balance is PHP 48,000.00."
	failedText = "Your transaction failed: insufficient balance."
)

func TestReply(t *testing.T) {
	when := time.Date(2026, 7, 1, 9, 30, 0, 0, time.FixedZone("PHT", 8*3600))
	paid := func(conf string, amount int64, number string) disburse.Result {
		return disburse.Result{Outcome: disburse.Paid, Confirmation: conf, Amount: amount, Phone: number, At: when, Via: "reply SMS"}
	}
	notPaid := func(reason string) disburse.Result {
		return disburse.Result{Outcome: disburse.NotPaid, Reason: reason, At: when, Via: "reply SMS"}
	}
	cases := []struct {
		name     string
		cfg      func(*Config)
		from     string
		text     string
		want     disburse.Result
		wantRead bool
	}{
		{"success", nil, "GCash", sentText, paid("7012121108038", 1000*php, "+639171234567"), true},
		{"sender id in another case", nil, "GCASH", sentText, paid("7012121108038", 1000*php, "+639171234567"), true},
		{"over several lines", nil, "GCash", "You have sent PHP 1,000.00 to\r\n09171234567.\nRef. No. 7012121108038.", paid("7012121108038", 1000*php, "+639171234567"), true},
		{"without separators, international number", nil, "GCash", "You have sent PHP 250.5 to +639181112222. Ref. No. 8012262033422.", paid("8012262033422", 250*php+500_000, "+639181112222"), true},
		{"failure", nil, "GCash", failedText, notPaid("insufficient balance"), true},
		{"failure with another wording", nil, "GCash", "Transaction not successful: invalid recipient", notPaid("invalid recipient"), true},
		{"failure without a reason", nil, "GCash", "Your transaction failed.", notPaid("Your transaction failed"), true},
		{"failure with a long reason", nil, "GCash", "Your transaction failed: " + strings.Repeat("please try again later ", 10),
			notPaid(strings.Repeat("please try again later ", 5)[:97] + "..."), true},
		{"failure reason without control characters", nil, "GCash", "Your transaction failed: wrong\x00 MPIN\t.", notPaid("wrong MPIN"), true},
		{"no amount or number named", func(c *Config) { c.Success = `Ref\. No\. (?P<confirmation>[0-9]+)` }, "GCash", sentText, paid("7012121108038", 0, ""), true},
		{"a masked number is not stated", func(c *Config) {
			c.Success = `sent PHP (?P<amount>[0-9,.]+) to (?P<phone>[0-9*]+)\. Ref\. No\. (?P<confirmation>[0-9]+)`
		},
			"GCash", "You have sent PHP 5.00 to 0917***4567. Ref. No. 7012121108038.", paid("7012121108038", 5*php, ""), true},

		{"another sender", nil, "MPESA", sentText, disburse.Result{}, false},
		{"a sender id with a space", nil, "GCash ", sentText, disburse.Result{}, false},
		{"a longer sender id", nil, "GCash2", sentText, disburse.Result{}, false},
		{"a phone number", nil, "+639171234567", sentText, disburse.Result{}, false},
		{"an advert", nil, "GCash", "Enjoy 10% cashback on bills this weekend! Open the app now.", disburse.Result{}, false},
		{"a delay notice", nil, "GCash", "We are experiencing a system delay. Please check your transaction history before trying again.", disburse.Result{}, false},
		{"both read it", nil, "GCash", sentText + " Your cash-in failed: limit reached.", disburse.Result{}, false},
		{"an amount that does not read", nil, "GCash", "You have sent PHP 1,00.0 to 09171234567. Ref. No. 7012121108038.", disburse.Result{}, false},
		{"a zero amount", nil, "GCash", "You have sent PHP 0.00 to 09171234567. Ref. No. 7012121108038.", disburse.Result{}, false},
		{"a number that does not read", nil, "GCash", "You have sent PHP 5.00 to 0917. Ref. No. 7012121108038.", disburse.Result{}, false},
		{"no reference", func(c *Config) {
			c.Success = `You have sent PHP (?P<amount>[0-9,.]+) to (?P<phone>[0-9+]+)\. Ref\. No\. ?(?P<confirmation>[0-9]*)`
		},
			"GCash", "You have sent PHP 5.00 to 09171234567. Ref. No. pending.", disburse.Result{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := provider(t, gcash(tc.cfg))
			got, ok := p.Reply(tc.from, tc.text, when)
			if ok != tc.wantRead || got != tc.want {
				t.Fatalf("Reply = %+v, %v\nwant     %+v, %v", got, ok, tc.want, tc.wantRead)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	c := config.SMSCommand{Operator: "2882", ReplyFrom: []string{"GCash"}, Command: "SEND {amount} {phone} {pin}",
		PINFile: write("pin", testPIN+"\n"), PhoneFormat: "national", Success: GCashExample().Success, Failure: GCashExample().Failure}
	got, err := Load(c, "PH")
	if err != nil {
		t.Fatal(err)
	}
	want := gcash(nil)
	if got.PIN != want.PIN || got.Operator != want.Operator || got.Command != want.Command || got.Country != "PH" ||
		got.PhoneFormat != want.PhoneFormat || got.Success != want.Success || got.Failure != want.Failure || fmt.Sprint(got.ReplyFrom) != "[GCash]" {
		t.Fatalf("Load = %#v, want %#v", got, want)
	}
	if _, err := New(got); err != nil {
		t.Fatalf("New(Load(…)): %v", err)
	}

	c.PINFile = ""
	if got, err := Load(c, "PH"); err != nil || got.PIN != "" {
		t.Fatalf("without pin_file: %q, %v", got.PIN, err)
	}
	for _, bad := range []struct{ path, want string }{
		{filepath.Join(dir, "missing"), "does not exist"},
		{write("empty", "\n"), "is empty"},
		{write("two", testPIN+"\n9999\n"), "more than one line"},
		{dir, "cannot be read"},
	} {
		c.PINFile = bad.path
		_, err := Load(c, "PH")
		if err == nil || !strings.Contains(err.Error(), bad.want) || !strings.Contains(err.Error(), bad.path) {
			t.Errorf("Load with pin_file %s: %v; want an error naming the file and %q", bad.path, err, bad.want)
		} else if strings.Contains(err.Error(), testPIN) || strings.Contains(err.Error(), "9999") {
			t.Errorf("error %q shows the file's content", err)
		}
	}
}

// The PIN never shows where a Config or a Provider is printed or logged.
func TestPINNeverPrinted(t *testing.T) {
	c := gcash(func(c *Config) { c.PIN = "739146" })
	p := provider(t, c)
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("sms-command", "config", c, "provider", p)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("sms-command", "config", c, "provider", p)
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out := fmt.Sprintf("%v %+v %#v %s %v %+v", c, c, c, js, p, *p) + logged.String()
	if strings.Contains(out, "739146") {
		t.Fatalf("the PIN shows in:\n%s", out)
	}
	if !strings.Contains(out, redacted) {
		t.Fatalf("the PIN's place is not marked:\n%s", out)
	}
}

// config/example.toml shows the GCash example: the same values the
// stand-in's texts are read with.
func TestExampleTOMLMatchesGCashExample(t *testing.T) {
	var block []string
	in := false
	for _, line := range strings.Split(string(config.Example()), "\n") {
		switch {
		case strings.TrimSpace(line) == "#   [disbursement.sms_command]":
			in = true
		case in && strings.HasPrefix(line, "#   "):
			block = append(block, strings.TrimPrefix(line, "#   "))
		case in:
			in = false
		}
	}
	if len(block) == 0 {
		t.Fatal("config/example.toml has no commented [disbursement.sms_command] example")
	}
	var doc struct {
		SMSCommand config.SMSCommand `toml:"sms_command"`
	}
	if err := toml.Unmarshal([]byte(strings.Join(block, "\n")), &doc.SMSCommand); err != nil {
		t.Fatalf("the example does not parse: %v\n%s", err, strings.Join(block, "\n"))
	}
	got, ex := doc.SMSCommand, GCashExample()
	if got.Operator != ex.Operator || fmt.Sprint(got.ReplyFrom) != fmt.Sprint(ex.ReplyFrom) || got.Command != ex.Command ||
		got.PhoneFormat != ex.PhoneFormat || got.Success != ex.Success || got.Failure != ex.Failure || got.PINFile == "" {
		t.Fatalf("config/example.toml shows\n%+v\nGCashExample is\n%+v", got, ex)
	}
}
