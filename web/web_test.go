package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProtectRefusesCrossOriginWritesAndLargeBodies(t *testing.T) {
	var reached int
	h := Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
		_, err := io.ReadAll(r.Body)
		if err != nil {
			Error(w, http.StatusRequestEntityTooLarge, err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	for _, tc := range []struct {
		name    string
		method  string
		headers map[string]string
		body    string
		chunked bool
		want    int
		reaches bool
	}{
		{"same-origin form post", "POST", map[string]string{"Origin": "http://box.lan", "Sec-Fetch-Site": "same-origin"}, "a=1", false, 204, true},
		{"cross-site form post", "POST", map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, "a=1", false, 403, false},
		{"cross-origin without fetch metadata", "POST", map[string]string{"Origin": "http://evil.example"}, "a=1", false, 403, false},
		{"non-browser client (curl)", "POST", nil, "{}", false, 204, true},
		{"cross-site GET is safe", "GET", map[string]string{"Sec-Fetch-Site": "cross-site"}, "", false, 204, true},
		{"declared body too large", "POST", nil, strings.Repeat("x", MaxBody+1), false, 413, false},
		{"chunked body too large", "POST", nil, strings.Repeat("x", MaxBody+1), true, 413, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reached = 0
			r := httptest.NewRequest(tc.method, "http://box.lan/x", strings.NewReader(tc.body))
			if tc.chunked {
				r.ContentLength = -1
			}
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.want || (reached == 1) != tc.reaches {
				t.Errorf("status %d (reached %d), want %d (reaches %v)", w.Code, reached, tc.want, tc.reaches)
			}
			if w.Header().Get("X-Frame-Options") != "DENY" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("security headers missing: %v", w.Header())
			}
		})
	}
}

func TestDecodeJSONSaysWhatIsWrong(t *testing.T) {
	type msg struct {
		To   string `json:"to"`
		Text string `json:"text"`
		N    int    `json:"n"`
	}
	for _, tc := range []struct {
		body, ct string
		strict   bool
		status   int
		err      string
	}{
		{`{"to":"+254722000001","text":"hi"}`, "application/json", true, 0, ""},
		{`{"to":"+254722000001","extra":1}`, "application/json", false, 0, ""},
		{`{"to":"+254722000001","extra":1}`, "application/json", true, 400, `unknown field "extra"`},
		{`{"to":`, "", true, 400, "malformed JSON"},
		{``, "application/json", true, 400, "empty body"},
		{`{"n":"three"}`, "", true, 400, `field "n": string where int was expected`},
		{`{} {}`, "", true, 400, "more than one document"},
		{`{}`, "text/plain", true, 415, "send application/json"},
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
		if tc.ct != "" {
			r.Header.Set("Content-Type", tc.ct)
		}
		var m msg
		status, err := DecodeJSON(r, &m, tc.strict)
		if status != tc.status || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%q: status %d err %v; want %d %q", tc.body, status, err, tc.status, tc.err)
		}
	}
}

func TestBearer(t *testing.T) {
	for in, want := range map[string]string{
		"Bearer mfe_x": "mfe_x", "bearer  mfe_y ": "mfe_y", "Basic dXNlcjpw": "", "": "", "Bearer": "",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", in)
		if got := Bearer(r); got != want {
			t.Errorf("Bearer(%q) = %q, want %q", in, got, want)
		}
	}
}

// One route may take a larger body; every other keeps MaxBody, however
// the body is sent.
func TestProtectAllowsALargerBodyOnOneRouteOnly(t *testing.T) {
	const large = 3 * MaxBody
	h := Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			Error(w, http.StatusRequestEntityTooLarge, err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}), LargeBody{Path: "/upload", Max: large})
	for _, tc := range []struct {
		path    string
		size    int
		chunked bool
		want    int
	}{
		{"/upload", 2 * MaxBody, false, 204},
		{"/upload", 2 * MaxBody, true, 204},
		{"/upload", large + 1, false, 413},
		{"/upload", large + 1, true, 413},
		{"/upload/", MaxBody + 1, false, 413},
		{"/other", MaxBody + 1, false, 413},
		{"/other", MaxBody + 1, true, 413},
		{"/other", MaxBody, false, 204},
	} {
		r := httptest.NewRequest("POST", "http://box.lan"+tc.path, strings.NewReader(strings.Repeat("x", tc.size)))
		if tc.chunked {
			r.ContentLength = -1
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("%s, %d bytes (chunked %v): %d, want %d", tc.path, tc.size, tc.chunked, w.Code, tc.want)
		}
	}
}
