package officer

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
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
	if err := CheckHash(h1, Pepper{}); err != nil {
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
		if CheckHash(m, Pepper{}) == nil {
			t.Errorf("CheckHash(%q, Pepper{}) accepted a malformed hash", m)
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
			err := CheckHash(tc.hash, Pepper{})
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
			if !verified(t, tc.hash, "1111", Pepper{}) {
				t.Error("an old weak hash no longer verifies")
			}
		})
	}
	if err := CheckHash(hashWith(t, "1111", 19456, 2, 1, 16, 32), Pepper{}); err != nil {
		t.Errorf("HashPIN's own parameters refused: %v", err)
	}
	if err := CheckHash(hashWith(t, "1111", 65536, 3, 2, 32, 64), Pepper{}); err != nil {
		t.Errorf("stronger parameters refused: %v", err)
	}
}

// Over the control socket only hashes made with the box's own key are
// taken: a hash without the pepper would be searchable from the store.
func TestCheckHashWantsTheBoxKey(t *testing.T) {
	mine, _ := HashPIN("258013", testPepper)
	if err := CheckHash(mine, testPepper); err != nil {
		t.Fatalf("a hash of this key: %v", err)
	}
	plain, _ := HashPIN("258013", Pepper{})
	other, _ := HashPIN("258013", Pepper{ID: "12345678", Key: []byte("another pepper of thirty-two b..")})
	for _, h := range []string{plain, other} {
		if err := CheckHash(h, testPepper); err == nil || !strings.Contains(err.Error(), "key_file") {
			t.Errorf("hash %q: %v, want it refused", h, err)
		}
	}
}
