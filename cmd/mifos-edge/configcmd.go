package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mifos-edge/mifos-edge/boxkey"
	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/handler"
)

const configUsage = `usage: mifos-edge config example          print the commented example configuration
       mifos-edge config check --config FILE  report every problem in FILE, with its line
       mifos-edge config templates [--lang sw] list every reply template key and its text`

func init() { register("config", &ConfigCommand{}) }

// ConfigCommand prints the commented example configuration or checks a file.
type ConfigCommand struct {
	Stdout io.Writer // nil: os.Stdout
}

// Summary implements command.
func (*ConfigCommand) Summary() string { return "print the example config, or check a config file" }

// Run implements command.
func (c *ConfigCommand) Run(_ context.Context, args []string) error {
	stdout := c.Stdout
	if stdout == nil {
		stdout = os.Stdout
	}
	usage := configUsage
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, usage)
		return errors.New("config needs 'example' or 'check'")
	}
	switch args[0] {
	case "example":
		_, err := stdout.Write(config.Example())
		return err
	case "check":
		fs := flag.NewFlagSet("config check", flag.ContinueOnError)
		cfgPath := configFlag(fs)
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		cfg, err := loadConfig(*cfgPath)
		if err != nil {
			return err
		}
		// The service refuses to start on a bad reply template (a date
		// layout without {day}, eleven month names): say so here first.
		if _, err := handler.NewTexts(cfg.SMS.Language, cfg.Templates); err != nil {
			return fmt.Errorf("%s: %w", *cfgPath, err)
		}
		if _, err := boxkey.Load(cfg.Security.KeyFile); errors.Is(err, boxkey.ErrNoKey) {
			fmt.Fprintf(stdout, "note: the box key %s does not exist yet; the service cannot create it there: run sudo mifos-edge keygen --config %s\n", cfg.Security.KeyFile, *cfgPath)
		} else if err != nil {
			return fmt.Errorf("%s: security.key_file: %w", *cfgPath, err)
		}
		problems := cfg.CheckFilePermissions()
		if cfg.Security.StrictPermissions {
			if err := config.StrictPermissionsError(problems); err != nil {
				return fmt.Errorf("%s: %w", *cfgPath, err)
			}
		}
		if len(problems) > 0 {
			printFileProblems(stdout, problems)
			fmt.Fprintf(stdout, "%s: settings OK, but %d file(s) holding secrets are open to other users (see above)\n", *cfgPath, len(problems))
			return nil
		}
		fmt.Fprintf(stdout, "%s: OK\n", *cfgPath)
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
		fmt.Fprintln(stdout, "[templates]")
		for _, k := range handler.TemplateKeys() {
			fmt.Fprintf(stdout, "%q = %q\n", k, texts.Get(k))
		}
		return nil
	default:
		fmt.Fprintln(os.Stderr, usage)
		return fmt.Errorf("unknown config action %q", args[0])
	}
}

// printFileProblems prints each file holding a secret that others can read
// or change, with its fix, as `config check` and `doctor` show them.
func printFileProblems(w io.Writer, problems []config.FileProblem) {
	for _, p := range problems {
		fmt.Fprintf(w, "WARNING  %s\n         fix: %s\n", p.Description(), p.Fix)
	}
}
