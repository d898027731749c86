package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/mifos-edge/mifos-edge/daemon"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/store"
)

const clientPinUsage = `usage: mifos-edge client-pin --config FILE --client-id N

Reads the client's new PIN ([officers] min_pin_length, default 6, to 8 digits) from standard input, typed twice
without echo on a terminal, and stores only its hash. With [sms]
require_client_pin = true, BAL then needs "BAL <PIN>".`

func init() { register("client-pin", &ClientPINCommand{}) }

// ClientPINCommand sets the PIN a client adds to BAL where the MFI asks for
// one ([sms] require_client_pin). An officer runs it with the client at hand.
type ClientPINCommand struct{}

// Summary implements command.
func (*ClientPINCommand) Summary() string { return "set a client's PIN for BAL <PIN>" }

// Run implements command.
func (*ClientPINCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("client-pin", flag.ContinueOnError)
	cfgPath := configFlag(fs)
	clientID := fs.Int64("client-id", 0, "the client's Fineract id")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), clientPinUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *clientID <= 0 {
		fs.Usage()
		return errors.New("--client-id is required")
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	pepper, err := pinPepper(cfg)
	if err != nil {
		return err
	}
	reader := &OfficerCommand{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	pin, err := reader.readPIN(fmt.Sprintf("client %d", *clientID), cfg.Officers.MinPINLength)
	if err != nil {
		return err
	}
	if err := officer.ValidatePIN(pin, cfg.Officers.MinPINLength); err != nil {
		return err
	}
	hash, err := officer.HashPIN(pin, pepper)
	if err != nil {
		return err
	}
	a := daemon.ClientPINArgs{ClientID: *clientID, PINHash: hash}
	_, err = withDaemonOrStore(ctx, cfg, defaultWait, daemon.OpClientPINSet, a, nil, func(db *store.DB) error {
		return db.PutClientPIN(a.ClientID, a.PINHash)
	})
	if err != nil {
		return err
	}
	fmt.Printf("PIN set for client %d\n", *clientID)
	return nil
}
