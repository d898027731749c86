package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/handler"
)

func init() { register("config", &ConfigCommand{}) }

// ConfigCommand prints the commented example configuration or checks a file.
type ConfigCommand struct{}

// Summary implements command.
func (*ConfigCommand) Summary() string { return "print the example config, or check a config file" }

// Run implements command.
func (*ConfigCommand) Run(_ context.Context, args []string) error {
	usage := "usage: mifos-edge config example          print the commented example configuration\n" +
		"       mifos-edge config check --config FILE  report every problem in FILE, with its line\n" +
		"       mifos-edge config templates [--lang sw] list every reply template key and its text"
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, usage)
		return errors.New("config needs 'example' or 'check'")
	}
	switch args[0] {
	case "example":
		_, err := os.Stdout.Write(config.Example())
		return err
	case "check":
		fs := flag.NewFlagSet("config check", flag.ContinueOnError)
		cfgPath := configFlag(fs)
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if _, err := loadConfig(*cfgPath); err != nil {
			return err
		}
		fmt.Printf("%s: OK\n", *cfgPath)
		return nil
	case "templates":
		fs := flag.NewFlagSet("config templates", flag.ContinueOnError)
		lang := fs.String("lang", "en", "language: "+strings.Join(handler.Languages(), ", "))
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		texts, err := handler.NewTexts(*lang, nil)
		if err != nil {
			return err
		}
		fmt.Println("[templates]")
		for _, k := range handler.TemplateKeys() {
			fmt.Printf("%q = %q\n", k, texts.Get(k))
		}
		return nil
	default:
		fmt.Fprintln(os.Stderr, usage)
		return fmt.Errorf("unknown config action %q", args[0])
	}
}
