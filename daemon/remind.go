package daemon

// The reminder run behind the remind command (control operation and CLI).

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/store"
)

// RemindArgs is the "remind" control operation's argument.
type RemindArgs struct {
	GroupID int64 `json:"group_id"`
	StaffID int64 `json:"staff_id"`
	DryRun  bool  `json:"dry_run"`
}

// RemindResult lists what was (or would be) sent.
type RemindResult struct {
	Summary   string             `json:"summary"`
	Reminders []handler.Reminder `json:"reminders"`
	Queued    bool               `json:"queued"`
}

// RunReminders finds overdue clients (one group, one officer's groups, or
// every group) and queues their reminders unless dryRun.
func RunReminders(ctx context.Context, env *handler.Env, a RemindArgs) (RemindResult, error) {
	if env.API == nil {
		return RemindResult{}, errors.New("reminders need the Fineract link: set [mifos] base_url")
	}
	var groups []mifos.Group
	scope := "all groups"
	switch {
	case a.GroupID != 0:
		g, err := env.API.Group(ctx, a.GroupID)
		if err != nil {
			return RemindResult{}, fmt.Errorf("group %d: %w", a.GroupID, err)
		}
		groups, scope = []mifos.Group{g}, fmt.Sprintf("group %d", a.GroupID)
	default:
		gs, err := env.API.GroupsByStaff(ctx, a.StaffID)
		if err != nil {
			return RemindResult{}, err
		}
		groups = gs
		if a.StaffID != 0 {
			scope = fmt.Sprintf("the groups of staff %d", a.StaffID)
		}
	}
	all, err := env.Reminders(ctx, groups)
	if err != nil {
		return RemindResult{}, err
	}
	now := time.Now()
	list, skipped, err := env.NotRemindedToday(all, now)
	if err != nil {
		return RemindResult{}, err
	}
	res := RemindResult{Summary: env.RemindSummary(list, skipped, scope), Reminders: list}
	if a.DryRun || len(list) == 0 {
		return res, nil
	}
	origin := "remind:cli:" + now.Format(time.RFC3339)
	if err := env.DB.Update(func(tx *store.Tx) error {
		_, err := handler.QueueReminders(tx, list, origin, now)
		return err
	}); err != nil {
		return RemindResult{}, err
	}
	res.Queued = true
	return res, nil
}
