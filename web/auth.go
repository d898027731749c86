package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
	"github.com/mifos-edge/mifos-edge/token"
)

// Tokens is what checking a bearer token needs of the store.
type Tokens interface {
	Token(id string) (store.APIToken, error)
	TouchToken(id string, now time.Time) error
}

type tokenKey struct{}

// TokenOf returns the token that RequireScope admitted for r.
func TokenOf(ctx context.Context) (store.APIToken, bool) {
	t, ok := ctx.Value(tokenKey{}).(store.APIToken)
	return t, ok
}

// RequireScope admits a request only with a live bearer token carrying
// scope: no or unknown or revoked token is 401, the wrong scope 403. The
// reasons are the same sentence for unknown and revoked tokens, so a caller
// cannot tell which ids exist.
func RequireScope(ts Tokens, scope string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, status, msg := checkToken(ts, Bearer(r), scope)
		if status != 0 {
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="mifos-edge"`)
			}
			Error(w, status, msg)
			return
		}
		_ = ts.TouchToken(tok.ID, time.Now())
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, tok)))
	})
}

// RequireAnyScope is RequireScope for a route that any one of scopes
// opens (a read of a payment: scope payments or read).
func RequireAnyScope(ts Tokens, scopes []string, next http.Handler) http.Handler {
	if len(scopes) == 1 {
		return RequireScope(ts, scopes[0], next)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var tok store.APIToken
		status, msg := 0, ""
		for _, scope := range scopes {
			if tok, status, msg = checkToken(ts, Bearer(r), scope); status != http.StatusForbidden {
				break
			}
		}
		switch status {
		case 0:
		case http.StatusForbidden:
			Error(w, status, "this token lacks the scope "+strings.Join(scopes, " or "))
			return
		case http.StatusUnauthorized:
			w.Header().Set("WWW-Authenticate", `Bearer realm="mifos-edge"`)
			fallthrough
		default:
			Error(w, status, msg)
			return
		}
		_ = ts.TouchToken(tok.ID, time.Now())
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, tok)))
	})
}

// CheckToken is RequireScope's decision for a token presented some other
// way (Fineract's message gateway sends it as its app key).
func CheckToken(ts Tokens, text, scope string) (store.APIToken, int, string) {
	return checkToken(ts, text, scope)
}

func checkToken(ts Tokens, text, scope string) (store.APIToken, int, string) {
	const unknown = "missing, unknown or revoked token"
	if text == "" {
		return store.APIToken{}, http.StatusUnauthorized, "this call needs Authorization: Bearer <token> (mifos-edge token add)"
	}
	id, err := token.Parse(text)
	if err != nil {
		return store.APIToken{}, http.StatusUnauthorized, unknown
	}
	tok, err := ts.Token(id)
	if errors.Is(err, store.ErrNoToken) || (err == nil && (tok.Revoked() || !token.Matches(text, tok.Hash))) {
		return store.APIToken{}, http.StatusUnauthorized, unknown
	}
	if err != nil {
		return store.APIToken{}, http.StatusServiceUnavailable, "the box cannot read its store; try again"
	}
	if !slices.Contains(tok.Scopes, scope) {
		return store.APIToken{}, http.StatusForbidden, "this token lacks the scope " + scope
	}
	return tok, 0, ""
}
