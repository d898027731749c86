package handler

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/mifos"
)

func amtParts(units, millionths int64) mifos.Amount {
	return mifos.Amount(units*1_000_000 + millionths)
}

func TestParsePay(t *testing.T) {
	tests := []struct {
		text string
		want PayCommand
	}{
		{"PAY 1234 42 L1=500 S=1,500.50 000777=20", PayCommand{PIN: "1234", ClientRef: "42", Items: []PayItem{
			{Kind: LoanItem, Index: 1, Amount: amtParts(500, 0), Raw: "L1=500"},
			{Kind: SavingsItem, Index: 1, Amount: amtParts(1500, 500_000), Raw: "S=1,500.50"},
			{Kind: AccountItem, AccountNo: "000777", Amount: amtParts(20, 0), Raw: "000777=20"},
		}}},
		{"  pay   2580  AB-17   l2 = 1500  s3= 10 ", PayCommand{PIN: "2580", ClientRef: "AB-17", Items: []PayItem{
			{Kind: LoanItem, Index: 2, Amount: amtParts(1500, 0), Raw: "l2=1500"},
			{Kind: SavingsItem, Index: 3, Amount: amtParts(10, 0), Raw: "s3=10"},
		}}},
		{"Pay 12345678 42\tS1 =0.01", PayCommand{PIN: "12345678", ClientRef: "42", Items: []PayItem{
			{Kind: SavingsItem, Index: 1, Amount: amtParts(0, 10_000), Raw: "S1=0.01"},
		}}},
		{"PAY 1234 42 L1=1 L2=1 L3=1 L4=1 L5=1 L6=1 L7=1 L8=1 L9=1 L10=1", PayCommand{PIN: "1234", ClientRef: "42"}},
	}
	for _, tc := range tests {
		got, err := ParsePay(tc.text)
		if err != nil {
			t.Errorf("ParsePay(%q): %v", tc.text, err)
			continue
		}
		if tc.want.Items == nil {
			// Only the count matters for the "ten items" case.
			if len(got.Items) != MaxPayItems || got.PIN != tc.want.PIN || got.ClientRef != tc.want.ClientRef {
				t.Errorf("ParsePay(%q) = %+v", tc.text, got)
			}
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParsePay(%q)\n got %+v\nwant %+v", tc.text, got, tc.want)
		}
	}
}

func TestParsePayErrors(t *testing.T) {
	tests := []struct{ text, key, arg string }{
		{"", "parse.pay.usage", ""},
		{"PAY", "parse.pay.usage", ""},
		{"PAYS 1234 42 L1=5", "parse.pay.usage", ""},
		{"PAY 1234", "parse.pay.usage", ""},
		{"PAY 1234 42", "parse.pay.usage", ""},
		{"PAY 1234 L1=500", "parse.pay.usage", ""},
		{"PAY 1234 L1=500 S=5", "parse.pay.usage", ""},
		{"PAY 42 L1=500", "parse.pin", ""},
		{"PAY 123456789 42 L1=500", "parse.pin", ""},
		{"PAY 12a4 42 L1=500", "parse.pin", ""},
		{"PAY 1234 42 L1=abc", "parse.amount", "abc"},
		{"PAY 1234 42 L1=", "parse.amount", ""},
		{"PAY 1234 42 L1=0", "parse.amount", "0"},
		{"PAY 1234 42 L1=-5", "parse.amount", "-5"},
		{"PAY 1234 42 L1=15,00", "parse.amount", "15,00"},
		{"PAY 1234 42 L1=500=2", "parse.amount", "500=2"},
		{"PAY 1234 42 L1=1500.50.1", "parse.amount", "1500.50.1"},
		{"PAY 1234 42 L1=99999999999999999999999", "parse.amount", "99999999999999999999…"},
		{"PAY 1234 42 L1 500", "parse.item", "L1"},
		{"PAY 1234 42 =500", "parse.pay.usage", ""}, // reads as client "42=500"
		{"PAY 1234 42 L1=5 ,=6", "parse.item", ",=6"},
		{"PAY 1234 42 X1=500", "parse.item", "X1=500"},
		{"PAY 1234 42 L=500", "parse.item", "L=500"},
		{"PAY 1234 42 L0=500", "parse.item", "L0=500"},
		{"PAY 1234 42 L100=500", "parse.item", "L100=500"},
		{"PAY 1234 42 S-1=500", "parse.item", "S-1=500"},
		{"PAY 1234 42 ſ1=500", "parse.item", "ſ1=500"},
		{"PAY 1234 42 L1=500 L1=200", "parse.duplicate_item", "L1"},
		{"PAY 1234 42 S=500 s1=200", "parse.duplicate_item", "s1"},
		{"PAY 1234 42 L01=500 L1=200", "parse.duplicate_item", "L1"},
		{"PAY 1234 42 000123=5 123=6", "parse.duplicate_item", "123"},
		{"PAY 1234 42 L1=1 L2=1 L3=1 L4=1 L5=1 L6=1 L7=1 L8=1 L9=1 L10=1 L11=1", "parse.too_many_items", "10"},
	}
	for _, tc := range tests {
		_, err := ParsePay(tc.text)
		checkParseErr(t, "ParsePay", tc.text, err, tc.key, tc.arg)
	}
}

func checkParseErr(t *testing.T, fn, text string, err error, key, arg string) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Errorf("%s(%q) error = %v, want *ParseError %s", fn, text, err, key)
		return
	}
	if pe.Key != key || pe.Arg != arg {
		t.Errorf("%s(%q) = {%s %q}, want {%s %q}", fn, text, pe.Key, pe.Arg, key, arg)
	}
	if _, ok := catalogs["en"][pe.Key]; !ok {
		t.Errorf("%s(%q): key %q has no reply text", fn, text, pe.Key)
	}
	if !strings.Contains(pe.Error(), pe.Key) {
		t.Errorf("Error() = %q does not name the key", pe.Error())
	}
}

func TestParseCollect(t *testing.T) {
	tests := []struct {
		text string
		want CollectCommand
	}{
		{"COLLECT 1234 7 ALL", CollectCommand{PIN: "1234", GroupID: 7}},
		{"collect  2580 12 all except 43 000044", CollectCommand{PIN: "2580", GroupID: 12, Except: []string{"43", "000044"}}},
		{"COLLECT 2580 12 ALL EXCEPT 43, 44,45 43", CollectCommand{PIN: "2580", GroupID: 12, Except: []string{"43", "44", "45"}}},
		{"COLLECT, 2580, 12, ALL", CollectCommand{PIN: "2580", GroupID: 12}},
	}
	for _, tc := range tests {
		got, err := ParseCollect(tc.text)
		if err != nil {
			t.Errorf("ParseCollect(%q): %v", tc.text, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseCollect(%q) = %+v, want %+v", tc.text, got, tc.want)
		}
	}
	errs := []struct{ text, key, arg string }{
		{"COLLECT", "parse.collect.usage", ""},
		{"COLLECTS 1234 7 ALL", "parse.collect.usage", ""},
		{"COLLECT 1234", "parse.collect.usage", ""},
		{"COLLECT 1234 7", "parse.collect.usage", ""},
		{"COLLECT 1234 7 SOME", "parse.collect.usage", ""},
		{"COLLECT 1234 7 ALL BUT 4", "parse.collect.usage", ""},
		{"COLLECT 1234 7 ALL EXCEPT", "parse.collect.usage", ""},
		{"COLLECT 7 ALL", "parse.pin", ""},
		{"COLLECT 1234 seven ALL", "parse.group", "seven"},
		{"COLLECT 1234 0 ALL", "parse.group", "0"},
		{"COLLECT 1234 -7 ALL", "parse.group", "-7"},
		{"COLLECT 1234 9999999999999999999 ALL", "parse.group", "9999999999999999999"},
	}
	for _, tc := range errs {
		_, err := ParseCollect(tc.text)
		checkParseErr(t, "ParseCollect", tc.text, err, tc.key, tc.arg)
	}
}

func TestParseRemind(t *testing.T) {
	for text, want := range map[string]RemindCommand{
		"REMIND 1234":      {PIN: "1234"},
		" remind 1234  7 ": {PIN: "1234", GroupID: 7},
	} {
		got, err := ParseRemind(text)
		if err != nil || got != want {
			t.Errorf("ParseRemind(%q) = %+v, %v; want %+v", text, got, err, want)
		}
	}
	errs := []struct{ text, key, arg string }{
		{"REMIND", "parse.remind.usage", ""},
		{"REMINDER 1234", "parse.remind.usage", ""},
		{"REMIND 1234 7 8", "parse.remind.usage", ""},
		{"REMIND 7", "parse.pin", ""},
		{"REMIND 1234 x7", "parse.group", "x7"},
		{"REMIND 1234 0", "parse.group", "0"},
	}
	for _, tc := range errs {
		_, err := ParseRemind(tc.text)
		checkParseErr(t, "ParseRemind", tc.text, err, tc.key, tc.arg)
	}
}

func TestRedactPIN(t *testing.T) {
	tests := map[string]string{
		"PAY 1234 42 L1=500":         "PAY **** 42 L1=500",
		"  pay\t2580  42 S=1,500.50": "  pay\t****  42 S=1,500.50",
		"COLLECT 2580 7 ALL":         "COLLECT **** 7 ALL",
		"COLLECT,2580,7 ALL":         "COLLECT,****,7 ALL",
		"REMIND 2580":                "REMIND ****",
		"BAL 2580":                   "BAL ****",
		"PAY = 2580 42":              "PAY = **** 42",
		"PAY":                        "PAY",
		"PAY   ":                     "PAY   ",
		"HELP 1234":                  "HELP 1234",
		"":                           "",
		"Habari PAY 1234":            "Habari PAY 1234",
	}
	for in, want := range tests {
		if got := RedactPIN(in); got != want {
			t.Errorf("RedactPIN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseErrorReplies(t *testing.T) {
	en, _ := NewTexts("en", nil)
	sw, _ := NewTexts("sw", nil)
	_, err := ParsePay("PAY 1234 42 L1=abc")
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatal(err)
	}
	if got := pe.Reply(en); !strings.Contains(got, `"abc"`) || !strings.Contains(got, "1,500.50") {
		t.Errorf("English reply %q", got)
	}
	if got := pe.Reply(sw); !strings.Contains(got, `"abc"`) || got == pe.Reply(en) {
		t.Errorf("Swahili reply %q", got)
	}
	keys := []string{"parse.pay.usage", "parse.collect.usage", "parse.remind.usage", "parse.pin", "parse.amount",
		"parse.item", "parse.duplicate_item", "parse.too_many_items", "parse.group"}
	for _, k := range keys {
		for _, lang := range []string{"en", "sw"} {
			if catalogs[lang][k] == "" {
				t.Errorf("%s has no %s text", k, lang)
			}
		}
	}
}

// checkPay re-validates a successful parse: what the handler relies on.
func checkPay(t *testing.T, text string, c PayCommand) {
	if !isPIN(c.PIN) || c.ClientRef == "" || strings.Contains(c.ClientRef, "=") {
		t.Fatalf("ParsePay(%q): bad PIN or client in %+v", text, c)
	}
	if len(c.Items) == 0 || len(c.Items) > MaxPayItems {
		t.Fatalf("ParsePay(%q): %d items", text, len(c.Items))
	}
	seen := map[string]bool{}
	for _, it := range c.Items {
		if it.Amount <= 0 {
			t.Fatalf("ParsePay(%q): amount %d", text, it.Amount)
		}
		var id string
		switch it.Kind {
		case LoanItem, SavingsItem:
			if it.Index < 1 || it.AccountNo != "" {
				t.Fatalf("ParsePay(%q): item %+v", text, it)
			}
			id = it.Kind.String() + string(rune('0'+it.Index%10)) + string(rune('0'+it.Index/10))
		case AccountItem:
			if !isDigits(it.AccountNo, 1, 20) {
				t.Fatalf("ParsePay(%q): account %q", text, it.AccountNo)
			}
			id = "acct" + strings.TrimLeft(it.AccountNo, "0")
		default:
			t.Fatalf("ParsePay(%q): kind %v", text, it.Kind)
		}
		if seen[id] {
			t.Fatalf("ParsePay(%q): item %s twice", text, id)
		}
		seen[id] = true
	}
	if w := strings.Fields(RedactPIN(text)); len(w) < 2 || w[1] != "****" {
		t.Fatalf("RedactPIN(%q) = %q", text, RedactPIN(text))
	}
}

func FuzzParsePay(f *testing.F) {
	for _, s := range []string{"PAY 1234 42 L1=500 S=1,500.50 000777=20", "pay 2580 x l2 = 1 s=2", "PAY 1234 42 L1=500 L1=5",
		"PAY 1234 42 000123=5 123=6", "PAY 1234 42 L01=1 L1=1", "PAY 1234 42 S=0.000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParsePay(text)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || catalogs["en"][pe.Key] == "" {
				t.Fatalf("ParsePay(%q): error %v has no reply text", text, err)
			}
			return
		}
		checkPay(t, text, c)
	})
}

func FuzzParseCollect(f *testing.F) {
	for _, s := range []string{"COLLECT 1234 7 ALL", "collect 1234 7 all except 43, 000044", "COLLECT 1234 7 ALL EXCEPT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseCollect(text)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || catalogs["en"][pe.Key] == "" {
				t.Fatalf("ParseCollect(%q): error %v has no reply text", text, err)
			}
			return
		}
		if !isPIN(c.PIN) || c.GroupID <= 0 {
			t.Fatalf("ParseCollect(%q) = %+v", text, c)
		}
		seen := map[string]bool{}
		for _, ref := range c.Except {
			if ref == "" || seen[ref] || strings.ContainsAny(ref, ", \t") {
				t.Fatalf("ParseCollect(%q): except %q", text, c.Except)
			}
			seen[ref] = true
		}
		if w := strings.Fields(strings.ReplaceAll(RedactPIN(text), ",", " ")); len(w) < 2 || w[1] != "****" {
			t.Fatalf("RedactPIN(%q) = %q", text, RedactPIN(text))
		}
	})
}

// The Swahili keywords reach their handlers and must parse as the English
// ones do: LIPA is PAY, KUSANYA is COLLECT, KUMBUSHA is REMIND.
func TestSwahiliKeywordsParse(t *testing.T) {
	if c, err := ParsePay("lipa 482613 42 L1=500"); err != nil || c.ClientRef != "42" || len(c.Items) != 1 {
		t.Errorf("LIPA: %+v, %v", c, err)
	}
	if c, err := ParseCollect("KUSANYA 482613 7 ALL"); err != nil || c.GroupID != 7 {
		t.Errorf("KUSANYA: %+v, %v", c, err)
	}
	if c, err := ParseRemind("Kumbusha 482613 7"); err != nil || c.GroupID != 7 {
		t.Errorf("KUMBUSHA: %+v, %v", c, err)
	}
	if _, err := ParsePay("PAYX 482613 42 L1=500"); err == nil {
		t.Error("PAYX parsed as PAY")
	}
}
