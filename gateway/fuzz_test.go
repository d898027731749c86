package gateway

import (
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/pdu"
)

func FuzzParseBatch(f *testing.F) {
	for _, seed := range []string{
		fineractBatch,
		`[]`,
		`[{"internalId":1,"mobileNumber":"0712345678","message":"hi"}]`,
		`[{"internalId":"1"},{"internalId":2,"message":5}]`,
		`[{"internalId":-3,"mobileNumber":"+1","message":""}]`,
		`[null, {}, [], 1, "x"]`,
		`[{"internalId":9223372036854775807,"mobileNumber":"0712345678","message":"` + strings.Repeat("€", 700) + `"}]`,
		`[{"internalId":1,"mobileNumber":"0722***012","message":"x","providerId":1,"tenantId":"other"}]`,
		`{"internalId":1}`, ``, `[`, "[\xff]",
	} {
		f.Add([]byte(seed))
	}
	rules := BatchRules{Tenant: "default", Country: "KE", ProviderID: 1, MaxBatch: 50}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := ParseBatch(body, rules)
		if err != nil {
			if len(b.Items) != 0 {
				t.Fatalf("refused batch with items: %v", err)
			}
			return
		}
		if len(b.Items)+len(b.Unidentified) > rules.MaxBatch {
			t.Fatalf("%d elements accepted over max %d", len(b.Items)+len(b.Unidentified), rules.MaxBatch)
		}
		for _, it := range b.Items {
			if it.InternalID <= 0 {
				t.Fatalf("item without a usable id: %+v", it)
			}
			if it.Refused != "" {
				if it.Out.To != "" || it.Out.Text != "" {
					t.Fatalf("refused item carries an SMS: %+v", it)
				}
				continue
			}
			if !strings.HasPrefix(it.Out.To, "+") || strings.TrimSpace(it.Out.Text) == "" {
				t.Fatalf("accepted item not sendable: %+v", it.Out)
			}
			if _, err := pdu.EncodeSubmit(it.Out.To, it.Out.Text, 1); err != nil {
				t.Fatalf("accepted item the modem cannot encode: %v (%+v)", err, it.Out)
			}
		}
	})
}
