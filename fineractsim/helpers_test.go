package fineractsim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

var testBizDate = time.Date(2024, 9, 26, 0, 0, 0, 0, time.UTC)

func startSeeded(t *testing.T) *Server {
	t.Helper()
	s, err := Start(Options{BusinessDate: testBizDate})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	s.Seed()
	return s
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

// call sends an authenticated request with the tenant header and JSON body;
// hdr entries override (an empty value deletes the header).
func call(t *testing.T, s *Server, method, path, body string, hdr ...string) resp {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	base := s.URL()
	if strings.HasPrefix(path, "/v2/") {
		base = strings.TrimSuffix(base, "/v1")
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("mifos", "password")
	req.Header.Set("Fineract-Platform-TenantId", "default")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{res.StatusCode, res.Header, b}
}

// obj decodes a JSON object keeping number text (json.Number).
func obj(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, b)
	}
	return m
}

func arr(t *testing.T, b []byte) []any {
	t.Helper()
	var a []any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("not a JSON array: %v: %s", err, b)
	}
	return a
}

// path walks maps and arrays: path(m, "errors", 0, "parameterName").
func path(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func str(v any) string {
	switch v := v.(type) {
	case json.Number:
		return v.String()
	case string:
		return v
	case nil:
		return "<absent>"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// wantError checks status, httpStatusCode and the first errors[] code.
func wantError(t *testing.T, r resp, status int, code string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	m := obj(t, r.body)
	if got := str(m["httpStatusCode"]); got != itoa(status) {
		t.Fatalf("httpStatusCode %q: %s", got, r.body)
	}
	if _, isString := m["httpStatusCode"].(string); !isString {
		t.Fatalf("httpStatusCode must be a JSON string: %s", r.body)
	}
	if got := str(path(m, "errors", 0, "userMessageGlobalisationCode")); got != code {
		t.Fatalf("errors[0] code %q, want %q: %s", got, code, r.body)
	}
	for _, k := range []string{"developerMessage", "defaultUserMessage", "userMessageGlobalisationCode", "parameterName", "value", "args"} {
		if _, ok := path(m, "errors", 0).(map[string]any)[k]; !ok {
			t.Fatalf("errors[0] lacks %q: %s", k, r.body)
		}
	}
	return m
}

func itoa(n int) string { return strconv.Itoa(n) }

func repayBody(date, amount, ext string) string {
	b := `{"transactionDate":"` + date + `","dateFormat":"yyyy-MM-dd","locale":"en","transactionAmount":` + amount + `,"paymentTypeId":3`
	if ext != "" {
		b += `,"externalId":"` + ext + `"`
	}
	return b + "}"
}

func repayPath(loanID int64) string {
	return "/loans/" + itoa(int(loanID)) + "/transactions?command=repayment"
}

func depositPath(id int64) string {
	return "/savingsaccounts/" + itoa(int(id)) + "/transactions?command=deposit"
}
