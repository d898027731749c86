package daemon

// The handlers' environment, built from the configuration.

import (
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/boxkey"
	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/store"
)

// boxID names this box in Fineract external ids.
func boxID(cfg *config.Config) string {
	if cfg.Mifos.BoxID != "" {
		return cfg.Mifos.BoxID
	}
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "box"
	}
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	return h
}

// PINPolicy is the wrong-PIN rule of the configuration.
func PINPolicy(cfg *config.Config) officer.Policy {
	locks := []time.Duration{cfg.Officers.LockoutDuration.Duration}
	for _, d := range cfg.Officers.LockoutEscalation {
		locks = append(locks, d.Duration)
	}
	return officer.Policy{Attempts: cfg.Officers.LockoutAttempts, Locks: locks, DailyBudget: cfg.Officers.DailyFailureBudget}
}

// PepperOf is the PIN pepper of a box key.
func PepperOf(key *boxkey.Key) officer.Pepper {
	return officer.Pepper{ID: key.ID(), Key: key.Pepper()}
}

// NewEnv builds the handlers' environment from the configuration.
func NewEnv(cfg *config.Config, db *store.DB, api handler.Fineract, key *boxkey.Key, d *Daemon) (*handler.Env, error) {
	texts, err := handler.NewTexts(cfg.SMS.Language, cfg.Templates)
	if err != nil {
		return nil, err
	}
	zone, _ := cfg.Mifos.Location()
	env := &handler.Env{
		DB:               db,
		Zone:             zone,
		CollectWindow:    cfg.Officers.CollectWindow.Duration,
		Texts:            texts,
		Country:          cfg.SMS.Country,
		PaymentTypeID:    int64(cfg.Mifos.PaymentTypeID),
		RequireClientPIN: cfg.SMS.RequireClientPIN,
		PINs:             PINPolicy(cfg),
		Pepper:           PepperOf(key),
		AcceptUndeclared: cfg.Officers.AcceptUndeclaredNumbers,
		ManagerPhone:     cfg.Officers.ManagerPhone,
		PhoneCache: handler.PhoneCachePolicy{
			For:        cfg.SMS.PhoneCacheFor.Duration,
			OfflineMax: cfg.SMS.PhoneCacheOfflineMax.Duration,
		},
		Money: handler.MoneyRules{
			RepeatWindow: cfg.Officers.RepeatWindow.Duration,
			GroupsOnly:   cfg.Officers.PayScope == "groups",
			MaxItem:      int64(cfg.Officers.MaxItemAmount),
			MaxDaily:     int64(cfg.Officers.MaxDailyAmount),
		},
	}
	install, err := db.InstallID()
	if err != nil {
		return nil, err
	}
	// The box name says where a posting came from; the store's random id
	// keeps ids unique when a box starts over or two boxes share a name.
	env.Box = boxID(cfg) + "-" + install
	if api != nil {
		env.API = api
	}
	if d != nil {
		env.Log = d.log
	}
	return env, nil
}

// NewStandaloneEnv is the handlers' environment for a CLI command that runs
// while the daemon is stopped (it owns the store itself).
func NewStandaloneEnv(cfg *config.Config, db *store.DB, key *boxkey.Key) (*handler.Env, error) {
	api, err := newFineract(cfg, slog.Default(), nil)
	if err != nil {
		return nil, err
	}
	var iface handler.Fineract
	if api != nil {
		iface = api
	}
	return NewEnv(cfg, db, iface, key, nil)
}
