package daemon

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/mifos-edge/mifos-edge/control"
	"github.com/mifos-edge/mifos-edge/store"
)

// CacheFlushArgs is the "cache.flush" argument: one phone (E.164), or ""
// for every cached phone.
type CacheFlushArgs struct {
	Phone string `json:"phone,omitempty"`
}

// CacheFlushResult says how many cached phone -> client answers went.
type CacheFlushResult struct {
	Removed int `json:"removed"`
}

// RegisterCacheOps adds the "cache.flush" control operation, audited with
// the phone ("" = all) and how many mappings went.
func RegisterCacheOps(s *control.Server, db *store.DB) {
	s.Handle(OpCacheFlush, func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a CacheFlushArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		control.Audit(ctx, "phone", a.Phone)
		res, err := FlushPhoneCache(db, a)
		if err == nil {
			control.Audit(ctx, "removed", res.Removed)
		}
		return res, err
	})
}

// FlushPhoneCache forgets cached phone -> client answers, so BAL asks
// Fineract again before it sends anyone figures. It is used both by the
// daemon's control socket and by `cache flush` when no daemon runs.
func FlushPhoneCache(db *store.DB, a CacheFlushArgs) (CacheFlushResult, error) {
	if a.Phone != "" && a.Phone[0] != '+' {
		return CacheFlushResult{}, errors.New("cache flush: the phone must be in international form (+ and country code)")
	}
	n, err := db.ForgetPhoneClients(a.Phone)
	return CacheFlushResult{Removed: n}, err
}
