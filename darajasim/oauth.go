package darajasim

import (
	"crypto/subtle"
	"net/http"
	"strconv"
)

// oauth answers GET /oauth/v1/generate?grant_type=client_credentials.
func (s *Server) oauth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		s.gatewayError(w, http.StatusBadRequest, "404.001.04", "Invalid Authentication Header")
		return
	}
	key, secret, ok := r.BasicAuth()
	if !ok {
		s.gatewayError(w, http.StatusBadRequest, "400.008.01", "Invalid Authentication passed")
		return
	}
	if r.URL.Query().Get("grant_type") != "client_credentials" {
		s.gatewayError(w, http.StatusBadRequest, "400.008.02", "Invalid grant type passed")
		return
	}
	if subtle.ConstantTimeCompare([]byte(key), []byte(s.opts.ConsumerKey)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ConsumerSecret)) != 1 {
		s.gatewayError(w, http.StatusBadRequest, "400.008.01", "Invalid Authentication passed")
		return
	}
	s.mu.Lock()
	// One token per app: issuing a new one invalidates the one before.
	s.token = s.alnum(28)
	s.tokenUntil = s.now().Add(s.opts.TokenLifetime)
	s.tokens = append(s.tokens, s.token)
	tok := s.token
	s.mu.Unlock()
	secs := int(s.opts.TokenLifetime.Seconds()) - 1
	var expires any = strconv.Itoa(secs)
	if s.opts.ExpiresInNumber {
		expires = secs
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "expires_in": expires})
}

const alnumChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// alnum is n random letters and digits; s.mu held.
func (s *Server) alnum(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnumChars[s.rng.IntN(len(alnumChars))]
	}
	return string(b)
}
