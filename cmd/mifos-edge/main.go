// Command mifos-edge is the Mifos Edge branch daemon and its tools.
//
// Each subcommand lives in its own file as an XCommand type with
// Run(ctx, args) and its own usage text; main only dispatches.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is what every subcommand file provides.
type command interface {
	Run(ctx context.Context, args []string) error
	Summary() string
}

// commands maps subcommand names to their implementations.
var commands = map[string]command{}

// register is called from each subcommand file's init.
func register(name string, c command) { commands[name] = c }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := runMain(ctx, os.Args[1:])
	stop()
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return
	}
	fmt.Fprintln(os.Stderr, "mifos-edge:", err)
	os.Exit(1)
}

func runMain(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage()
		if len(args) == 0 {
			return errors.New("no command given")
		}
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		printUsage()
		return fmt.Errorf("unknown command %q", args[0])
	}
	return c.Run(ctx, args[1:])
}

func printUsage() {
	fmt.Fprintln(os.Stderr, "usage: mifos-edge <command> [arguments]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, commands[n].Summary())
	}
	fmt.Fprintln(os.Stderr, "\nRun 'mifos-edge <command> -h' for a command's options.")
}
