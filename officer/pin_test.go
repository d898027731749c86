package officer

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
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

// hashWith builds an argon2id PHC string with chosen parameters, as a
// hand-rolled tool (not HashPIN) might.
func hashWith(t *testing.T, pin string, memory, passes uint32, threads uint8, saltLen, keyLen int) string {
	t.Helper()
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		t.Fatal(err)
	}
	key := argon2.IDKey([]byte(pin), salt, passes, memory, threads, uint32(keyLen))
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memory, passes, threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// A new hash (enrolment, reset, client PIN) must be at least as costly as
// HashPIN's; a cheap one would let a copy of the store give up the PIN in
// seconds. Hashes already stored still verify.
func TestCheckHashRefusesWeakParameters(t *testing.T) {
	weak := []struct {
		name string
		hash string
	}{
		{"8 KiB, 1 pass", hashWith(t, "1111", 8, 1, 1, 16, 32)},
		{"8 MiB, 1 pass", hashWith(t, "1111", 8192, 1, 1, 16, 32)},
		{"memory below 19 MiB", hashWith(t, "1111", 19455, 2, 1, 16, 32)},
		{"one pass", hashWith(t, "1111", 19456, 1, 1, 16, 32)},
		{"short salt", hashWith(t, "1111", 19456, 2, 1, 8, 32)},
		{"short key", hashWith(t, "1111", 19456, 2, 1, 16, 16)},
	}
	for _, tc := range weak {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckHash(tc.hash)
			if err == nil {
				t.Fatal("weak hash accepted for enrolment")
			}
			for _, want := range []string{"too weak", "mifos-edge officer add", "client-pin"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			parts := strings.Split(tc.hash, "$")
			if strings.Contains(err.Error(), parts[4]) || strings.Contains(err.Error(), parts[5]) {
				t.Errorf("error repeats the hash: %v", err)
			}
			// Stored hashes keep working: only new ones must be strong.
			if !VerifyPIN(tc.hash, "1111") {
				t.Error("an old weak hash no longer verifies")
			}
		})
	}
	if err := CheckHash(hashWith(t, "1111", 19456, 2, 1, 16, 32)); err != nil {
		t.Errorf("HashPIN's own parameters refused: %v", err)
	}
	if err := CheckHash(hashWith(t, "1111", 65536, 3, 2, 32, 64)); err != nil {
		t.Errorf("stronger parameters refused: %v", err)
	}
}
