package officer

import (
	"strings"
	"testing"
)

func TestValidatePIN(t *testing.T) {
	tests := []struct {
		pin  string
		want string // "" = accepted; otherwise part of the reason
	}{
		{"2580", ""},
		{"19730412", ""},
		{"1357", ""},
		{"1243", ""},
		{"123", "4 to 8 digits"},
		{"", "4 to 8 digits"},
		{"123456789", "4 to 8 digits"},
		{"12a4", "digits only"},
		{"１２３４", "4 to 8 digits"}, // full-width digits are not ASCII digits
		{"12 4", "digits only"},
		{"0000", "one digit repeated"},
		{"77777777", "one digit repeated"},
		{"1234", "run of digits"},
		{"4321", "run of digits"},
		{"12345678", "run of digits"},
		{"7890", "run of digits"},
		{"1098", "run of digits"},
	}
	// Reasons never depend on the PIN, so they cannot leak it into a log.
	reasonText := map[string]string{}
	for _, tc := range tests {
		err := ValidatePIN(tc.pin)
		if tc.want == "" {
			if err != nil {
				t.Errorf("ValidatePIN(%q) = %v, want nil", tc.pin, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ValidatePIN(%q) = %v, want it to mention %q", tc.pin, err, tc.want)
			continue
		}
		if prev, ok := reasonText[tc.want]; ok && prev != err.Error() {
			t.Errorf("ValidatePIN(%q) = %q, but another PIN got %q: the text depends on the PIN", tc.pin, err, prev)
		}
		reasonText[tc.want] = err.Error()
	}
}

func TestHashAndVerify(t *testing.T) {
	h1, err := HashPIN("2580")
	if err != nil {
		t.Fatal(err)
	}
	h2, err := HashPIN("2580")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q has not the PHC prefix", h1)
	}
	if h1 == h2 {
		t.Error("two hashes of the same PIN are equal: the salt is not random")
	}
	if strings.Contains(h1, "2580") {
		t.Error("the hash contains the PIN")
	}
	if err := CheckHash(h1); err != nil {
		t.Errorf("CheckHash of a fresh hash: %v", err)
	}
	if !VerifyPIN(h1, "2580") || !VerifyPIN(h2, "2580") {
		t.Error("right PIN not verified")
	}
	for _, wrong := range []string{"2581", "", "25800", "0852"} {
		if VerifyPIN(h1, wrong) {
			t.Errorf("wrong PIN %q verified", wrong)
		}
	}

	parts := strings.Split(h1, "$")
	malformed := []string{
		"",
		"2580",
		"$argon2i$v=19$m=19456,t=2,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=16$m=19456,t=2,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=19456,t=2$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=99999999,t=2,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=19456,t=0,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=19456,t=2,p=0$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=19456,t=2,p=1,x=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=19456,t=2,p=1$!!!$" + parts[5],
		"$argon2id$v=19$m=19456,t=2,p=1$" + parts[4] + "$" + parts[5][:10],
		"$argon2id$v=19$m=19456,t=2,p=1$" + parts[4] + "$" + parts[5] + "$",
		h1 + "!",
	}
	for _, m := range malformed {
		if VerifyPIN(m, "2580") {
			t.Errorf("malformed hash %q verified", m)
		}
		if CheckHash(m) == nil {
			t.Errorf("CheckHash(%q) accepted a malformed hash", m)
		}
	}
}
