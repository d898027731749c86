package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/store"
	"github.com/mifos-edge/mifos-edge/token"
)

// The token operations carry the token's id and hash: the CLI mints the
// token, so its text never crosses the control socket or reaches a log.

// TokenAddArgs is the "token.add" argument.
type TokenAddArgs struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
	Hash   []byte   `json:"hash"`
}

// TokenInfo is a token as listed: never its hash.
type TokenInfo struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Scopes     []string  `json:"scopes"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// RegisterTokenOps adds token.add, token.list and token.revoke.
func RegisterTokenOps(s *control.Server, db *store.DB) {
	s.Handle(OpTokenAdd, func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a TokenAddArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		control.Audit(ctx, "token_id", a.ID, "name", a.Name, "scopes", strings.Join(a.Scopes, ","))
		return AddToken(db, a)
	})
	s.HandleReadOnly(OpTokenList, func(context.Context, json.RawMessage) (any, error) {
		return ListTokens(db)
	})
	s.Handle(OpTokenRevoke, func(ctx context.Context, raw json.RawMessage) (any, error) {
		var id string
		if err := json.Unmarshal(raw, &id); err != nil {
			return nil, err
		}
		control.Audit(ctx, "token_id", id)
		return nil, RevokeToken(db, id)
	})
}

// maxTokenName keeps listings and logs readable.
const maxTokenName = 64

// AddToken validates and stores a token minted by the CLI.
func AddToken(db *store.DB, a TokenAddArgs) (TokenInfo, error) {
	a.Name = strings.TrimSpace(a.Name)
	var errs []error
	if a.Name == "" || utf8.RuneCountInString(a.Name) > maxTokenName || strings.ContainsFunc(a.Name, func(r rune) bool { return r < ' ' }) {
		errs = append(errs, fmt.Errorf("token name must be 1 to %d printable characters", maxTokenName))
	}
	scopes, err := token.ParseScopes(strings.Join(a.Scopes, ","))
	if err != nil {
		errs = append(errs, err)
	}
	if len(a.Hash) != 32 || len(a.ID) != 8 {
		errs = append(errs, errors.New("token id and hash are malformed (mint tokens with mifos-edge token add)"))
	}
	if err := errors.Join(errs...); err != nil {
		return TokenInfo{}, err
	}
	t := store.APIToken{ID: a.ID, Name: a.Name, Scopes: scopes, Hash: a.Hash, CreatedAt: time.Now()}
	if err := db.AddToken(t); err != nil {
		return TokenInfo{}, err
	}
	return tokenInfo(t), nil
}

// ListTokens lists every token without its hash.
func ListTokens(db *store.DB) ([]TokenInfo, error) {
	list, err := db.Tokens()
	out := make([]TokenInfo, 0, len(list))
	for _, t := range list {
		out = append(out, tokenInfo(t))
	}
	return out, err
}

// RevokeToken revokes the token with id; it stops working at once.
func RevokeToken(db *store.DB, id string) error {
	return db.RevokeToken(strings.TrimPrefix(strings.TrimSpace(id), "mfe_"))
}

func tokenInfo(t store.APIToken) TokenInfo {
	return TokenInfo{ID: t.ID, Name: t.Name, Scopes: t.Scopes, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt}
}
