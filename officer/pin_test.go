package officer

import (
	"errors"
	"strings"
	"testing"
)

func TestValidatePIN(t *testing.T) {
	tests := []struct {
		pin    string
		minLen int
		want   string // "" = accepted; otherwise part of the reason
	}{
		{"258013", 0, ""},
		{"19730412", 0, ""},
		{"2580", 0, "6 to 8 digits"}, // the default minimum is 6
		{"2580", 4, ""},
		{"1357", 4, ""},
		{"1243", 4, ""},
		{"25801", 6, "6 to 8 digits"},
		{"123", 4, "4 to 8 digits"},
		{"123", 2, "4 to 8 digits"}, // never below 4
		{"258013", 12, "8 to 8 digits"},
		{"", 0, "6 to 8 digits"},
		{"123456789", 0, "6 to 8 digits"},
		{"12a456", 0, "digits only"},
		{"１２３４５６", 0, "6 to 8 digits"}, // full-width digits are not ASCII digits
		{"12 456", 0, "digits only"},
		{"000000", 0, "one digit repeated"},
		{"77777777", 0, "one digit repeated"},
		{"123456", 0, "run of digits"},
		{"654321", 0, "run of digits"},
		{"12345678", 0, "run of digits"},
		{"7890", 4, "run of digits"},
		{"890123", 0, "run of digits"},
	}
	// Reasons never depend on the PIN, so they cannot leak it into a log.
	reasonText := map[string]string{}
	for _, tc := range tests {
		err := ValidatePIN(tc.pin, tc.minLen)
		if tc.want == "" {
			if err != nil {
				t.Errorf("ValidatePIN(%q, %d) = %v, want nil", tc.pin, tc.minLen, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ValidatePIN(%q, %d) = %v, want it to mention %q", tc.pin, tc.minLen, err, tc.want)
			continue
		}
		if prev, ok := reasonText[tc.want]; ok && prev != err.Error() && !strings.Contains(tc.want, "to 8") {
			t.Errorf("ValidatePIN(%q) = %q, but another PIN got %q: the text depends on the PIN", tc.pin, err, prev)
		}
		reasonText[tc.want] = err.Error()
	}
}

var testPepper = Pepper{ID: "0badc0de", Key: []byte("a pepper of thirty-two bytes....")}

func verified(t *testing.T, hash, pin string, p Pepper) bool {
	t.Helper()
	ok, err := VerifyPIN(hash, pin, p)
	if err != nil {
		t.Fatalf("VerifyPIN: %v", err)
	}
	return ok
}

func TestHashAndVerify(t *testing.T) {
	h1, err := HashPIN("2580", testPepper)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := HashPIN("2580", testPepper)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1,k=0badc0de$") {
		t.Errorf("hash %q has not the PHC prefix with the key id", h1)
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
	if !verified(t, h1, "2580", testPepper) || !verified(t, h2, "2580", testPepper) {
		t.Error("right PIN not verified")
	}
	for _, wrong := range []string{"2581", "", "25800", "0852"} {
		if verified(t, h1, wrong, testPepper) {
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
		"$argon2id$v=19$m=19456,t=2,p=1,k=0BADC0DE$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=19456,t=2,p=1,k=0bad$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=19456,t=2,p=1,k=$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=19456,t=2,p=1$!!!$" + parts[5],
		"$argon2id$v=19$m=19456,t=2,p=1$" + parts[4] + "$" + parts[5][:10],
		"$argon2id$v=19$m=19456,t=2,p=1$" + parts[4] + "$" + parts[5] + "$",
		h1 + "!",
	}
	for _, m := range malformed {
		if verified(t, m, "2580", testPepper) {
			t.Errorf("malformed hash %q verified", m)
		}
		if CheckHash(m) == nil {
			t.Errorf("CheckHash(%q) accepted a malformed hash", m)
		}
	}
}

// The store holds the hash, the key file the pepper: a hash is worthless
// without the right pepper, and a hash made with another key is recognised
// (so an officer is told to reset, not counted as guessing).
func TestPepperIsNeededToVerify(t *testing.T) {
	h, err := HashPIN("258013", testPepper)
	if err != nil {
		t.Fatal(err)
	}
	// An attacker with the store but not the key: the same parameters
	// without the pepper never find the PIN.
	stripped := strings.Replace(h, ",k=0badc0de", "", 1)
	if verified(t, stripped, "258013", Pepper{}) {
		t.Fatal("the hash verifies without the pepper")
	}
	other := Pepper{ID: "12345678", Key: []byte("another pepper of thirty-two b..")}
	if ok, err := VerifyPIN(h, "258013", other); ok || !errors.Is(err, ErrOtherKey) {
		t.Fatalf("hash of another key: %v, %v; want ErrOtherKey", ok, err)
	}
	if NeedsRehash(h, testPepper) {
		t.Error("a peppered hash needs no rehash")
	}
	plain, _ := HashPIN("258013", Pepper{})
	if !verified(t, plain, "258013", testPepper) || !NeedsRehash(plain, testPepper) {
		t.Error("an unpeppered hash of an older version must verify and ask to be rehashed")
	}
}
