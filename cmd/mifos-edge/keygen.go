package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/user"
	"strconv"

	"github.com/mifos-edge/mifos-edge/boxkey"
	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/officer"
)

func init() { register("keygen", &KeygenCommand{}) }

// KeygenCommand creates the box key ([security] key_file) if it does not
// exist yet. It never replaces a key: PIN hashes made with it would stop
// verifying and every officer would need a new PIN.
type KeygenCommand struct{}

const keygenUsage = `usage: mifos-edge keygen --config FILE

Creates the box key named by [security] key_file (default: mifos-edge.key
beside the configuration file) unless it exists. The key keys the SMS
fingerprints in the store and peppers PIN hashes, so the store file alone
(or a backup of it) gives away no PIN. Keep a copy of the key somewhere
safe and apart from the store's backups: without it every officer and
client PIN must be set again.

Run it as root: the file is made 0640, group mifos-edge when that group
exists, so the service can read it and other users cannot.`

// Summary implements command.
func (*KeygenCommand) Summary() string {
	return "create the box key that protects PINs (once, as root)"
}

// Run implements command.
func (*KeygenCommand) Run(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	cfgPath := configFlag(fs)
	fs.Usage = func() { fmt.Fprintln(fs.Output(), keygenUsage) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if _, err := boxkey.Load(cfg.Security.KeyFile); err == nil {
		fmt.Printf("the box key %s exists already; it is kept as it is\n", cfg.Security.KeyFile)
		return nil
	} else if !errors.Is(err, boxkey.ErrNoKey) {
		return err
	}
	if _, err := loadBoxKey(cfg); err != nil {
		return err
	}
	fmt.Printf("created the box key %s; keep a copy apart from the store's backups\n", cfg.Security.KeyFile)
	return nil
}

// serviceGroup owns the key file so the service can read it.
const serviceGroup = "mifos-edge"

// loadBoxKey loads the box key, creating it first when it does not exist
// (an administrator's first command on a new box). A key made by root is
// given to the service's group, or the service could not read it.
func loadBoxKey(cfg *config.Config) (*boxkey.Key, error) {
	key, created, err := boxkey.LoadOrCreate(cfg.Security.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("security.key_file: %w", err)
	}
	if created && os.Geteuid() == 0 {
		if g, err := user.LookupGroup(serviceGroup); err == nil {
			if gid, err := strconv.Atoi(g.Gid); err == nil {
				if err := os.Chown(cfg.Security.KeyFile, 0, gid); err != nil {
					return nil, fmt.Errorf("give the box key to group %s: %w", serviceGroup, err)
				}
			}
		}
	}
	return key, nil
}

// pinPepper is the pepper new PIN hashes are made with.
func pinPepper(cfg *config.Config) (officer.Pepper, error) {
	key, err := loadBoxKey(cfg)
	if err != nil {
		return officer.Pepper{}, err
	}
	return daemon.PepperOf(key), nil
}
