// Package web holds the rules every page and API route of the box's HTTP
// server shares: bodies are bounded, cross-origin writes are refused,
// responses are never framed or sniffed, JSON errors have one shape, and a
// bearer token is read one way. The areas served (console, API, message
// gateway, operations) are their own packages; the daemon mounts them.
package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// MaxBody bounds every request body. A Fineract gateway batch of a few
// hundred SMS fits; anything larger is refused with 413.
const MaxBody = 1 << 20

// LargeBody lets the one route at Path (exactly; the mux redirects any
// other spelling of it without reading a body) take bodies up to Max
// bytes instead of MaxBody: an operator's statement uploaded in the
// console is a few megabytes. Every other route keeps MaxBody.
type LargeBody struct {
	Path string
	Max  int64
}

// Protect wraps the whole server: bounded bodies, cross-origin unsafe
// requests refused (Origin/Sec-Fetch-Site, Go's CrossOriginProtection),
// and headers that keep pages from being framed or sniffed. large are the
// routes allowed a larger body.
func Protect(h http.Handler, large ...LargeBody) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Error(w, http.StatusForbidden, "cross-origin request refused")
	}))
	inner := cop.Handler(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		limit := int64(MaxBody)
		for _, l := range large {
			if r.URL.Path == l.Path {
				limit = l.Max
			}
		}
		if r.ContentLength > limit {
			Error(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		inner.ServeHTTP(w, r)
	})
}

// ErrorBody is the JSON shape of every API error.
type ErrorBody struct {
	Error string `json:"error"`
}

// Error answers status with a JSON error message.
func Error(w http.ResponseWriter, status int, msg string) {
	JSON(w, status, ErrorBody{Error: msg})
}

// JSON answers status with v as JSON.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// DecodeJSON reads the request body into v. strict refuses keys v does not
// know (integrator calls); Fineract's own calls are read leniently since
// newer servers add keys. The error is a sentence for the caller and the
// status to answer it with.
func DecodeJSON(r *http.Request, v any, strict bool) (status int, err error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, perr := mime.ParseMediaType(ct)
		if perr != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return http.StatusUnsupportedMediaType, fmt.Errorf("content type %q: send application/json", ct)
		}
	}
	dec := json.NewDecoder(r.Body)
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooBig):
			return http.StatusRequestEntityTooLarge, fmt.Errorf("request body over %d bytes", tooBig.Limit)
		case errors.Is(err, io.EOF):
			return http.StatusBadRequest, errors.New("empty body: send a JSON document")
		case errors.As(err, &syn):
			return http.StatusBadRequest, fmt.Errorf("malformed JSON at byte %d", syn.Offset)
		case errors.As(err, &typ):
			return http.StatusBadRequest, fmt.Errorf("field %q: %s where %s was expected", typ.Field, typ.Value, typ.Type)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return http.StatusBadRequest, fmt.Errorf("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
		default:
			return http.StatusBadRequest, fmt.Errorf("malformed JSON: %v", err)
		}
	}
	if dec.More() {
		return http.StatusBadRequest, errors.New("malformed JSON: more than one document in the body")
	}
	return 0, nil
}

// Bearer returns the token of an "Authorization: Bearer <token>" header,
// or "" when there is none.
func Bearer(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}
