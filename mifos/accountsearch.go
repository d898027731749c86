package mifos

import (
	"context"
	"errors"
	"net/url"
	"strings"
)

// AccountHit is a loan or savings account found by its account number.
type AccountHit struct {
	Loan      bool  // a loan; else a savings (or deposit) account
	ID        int64 // loan or savings account id
	AccountNo string
	// ClientID is the search's parent: the client that holds the account
	// (for a group's own account, the group). Read the account itself for
	// what to trust.
	ClientID int64
}

// AccountsByNo finds the loan and savings accounts whose account number is
// no (leading zeros optional), by GET /search over loans and savings with
// an exact match. The search compares stored text, so the number is
// asked as written, zero padded and bare, like ClientByRef. No match is an
// empty list.
func (c *HTTPClient) AccountsByNo(ctx context.Context, no string) ([]AccountHit, error) {
	no = strings.TrimSpace(no)
	if no == "" || !allDigits(no) {
		return nil, errors.New("an account number is digits only")
	}
	bare := strings.TrimLeft(no, "0")
	if bare == "" {
		return nil, nil
	}
	queries := []string{no}
	if len(bare) < accountNoLen {
		if padded := strings.Repeat("0", accountNoLen-len(bare)) + bare; padded != no {
			queries = append(queries, padded)
		}
	}
	if bare != no {
		queries = append(queries, bare)
	}
	var out []AccountHit
	seen := map[AccountHit]bool{}
	for _, query := range queries {
		var hits []searchHit
		q := url.Values{"query": {query}, "resource": {"loans,savings"}, "exactMatch": {"true"}}
		if _, err := c.do(ctx, request{method: "GET", path: "/search", query: q}, &hits); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		for _, h := range hits {
			if (h.EntityType != "LOAN" && h.EntityType != "SAVING") || !SameAccountNo(string(h.EntityAccountNo), no) {
				continue
			}
			a := AccountHit{Loan: h.EntityType == "LOAN", ID: h.EntityID, AccountNo: string(h.EntityAccountNo), ClientID: h.ParentID}
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out, nil
}
