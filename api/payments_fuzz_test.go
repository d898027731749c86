package api

import (
	"encoding/json"
	"testing"

	"github.com/mifos-edge/mifos-edge/mifos"
)

// FuzzReadAmount: an amount is refused or read exactly: positive, and the
// same amount when written back and read again.
func FuzzReadAmount(f *testing.F) {
	for _, s := range []string{`1050`, `1050.5`, `"1,050.50"`, `"0.000001"`, `1e3`, `-5`, `"abc"`, `null`, `""`, `"1,50"`,
		`10.1234567`, `99999999999999999999`, `"  7 "`, `0`, `"\u0031"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		a, err := readAmount(json.RawMessage(raw))
		if err != nil {
			return
		}
		if a <= 0 {
			t.Fatalf("%q read as %v", raw, a)
		}
		again, err := mifos.ParseAmount(a.String())
		if err != nil || again != a {
			t.Fatalf("%q read as %v, which reads back as %v, %v", raw, a, again, err)
		}
	})
}
