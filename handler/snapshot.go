package handler

// The snapshot service: the offline copy of each known client's balances,
// refreshed while Fineract answers and used, marked "as of", when it does not.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Fetch reads the client's active loans (with their schedules) and savings
// from Fineract and stores them as the client's snapshot.
func (b Balance) Fetch(ctx context.Context, clientID int64) (View, error) {
	v, err := b.fetch(ctx, clientID, b.directoryName(clientID))
	if err != nil {
		return View{}, err
	}
	return v, b.saveSnapshot(v)
}

// Refresh fetches the client's balances and stores the snapshot; it is
// called after postings and periodically.
func (b Balance) Refresh(ctx context.Context, clientID int64) error {
	_, err := b.Fetch(ctx, clientID)
	return err
}

// RefreshAll refreshes the snapshot of every cached registered client. It
// stops at the first "unreachable" error (every other client would time out
// too) and when ctx ends; other errors are collected and it carries on.
func (b Balance) RefreshAll(ctx context.Context) error {
	list, err := b.Env.DB.ClientPhones()
	if err != nil {
		return err
	}
	seen := map[int64]bool{}
	var errs []error
	for _, p := range list {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, fmt.Errorf("balance refresh stopped: %w", err))...)
		}
		if seen[p.ClientID] {
			continue
		}
		seen[p.ClientID] = true
		v, err := b.fetch(ctx, p.ClientID, p.Name)
		if err == nil {
			err = b.saveSnapshot(v)
		}
		if err == nil {
			continue
		}
		err = fmt.Errorf("client %d: %w", p.ClientID, err)
		if offline(err) {
			return errors.Join(append(errs, fmt.Errorf("balance refresh stopped: %w", err))...)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (b Balance) saveSnapshot(v View) error {
	data, err := json.Marshal(v)
	if err == nil {
		err = b.Env.DB.PutSnapshot(v.ClientID, data, v.At)
	}
	if err != nil {
		b.log().Error("balance: could not store snapshot", "client", v.ClientID, "err", err)
		return fmt.Errorf("store balance snapshot of client %d: %w", v.ClientID, err)
	}
	return nil
}

func (b Balance) snapshot(clientID int64) (View, bool, error) {
	data, at, ok, err := b.Env.DB.Snapshot(clientID)
	if err != nil || !ok {
		return View{}, false, err
	}
	var v View
	if err := json.Unmarshal(data, &v); err != nil {
		return View{}, false, fmt.Errorf("snapshot of client %d is damaged: %w", clientID, err)
	}
	v.At = at
	return v, true, nil
}

func (b Balance) directoryName(clientID int64) string {
	list, err := b.Env.DB.ClientPhones()
	if err != nil {
		return ""
	}
	for _, p := range list {
		if p.ClientID == clientID {
			return p.Name
		}
	}
	return ""
}
