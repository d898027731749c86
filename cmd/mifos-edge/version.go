package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
)

// version is set at build time: go build -ldflags "-X main.version=1.2.3".
var version = "dev"

const versionUsage = `usage: mifos-edge version

Prints the version, the source revision and the Go version and platform.`

func init() { register("version", versionCommand{out: os.Stdout}) }

// versionCommand prints what a technician needs to report a problem: the
// release, the exact source revision and the platform it was built for.
type versionCommand struct{ out io.Writer }

func (versionCommand) Summary() string { return "print the program version and build details" }

func (c versionCommand) Run(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), versionUsage)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("version takes no arguments, got %q", fs.Arg(0))
	}
	info, _ := debug.ReadBuildInfo()
	_, err := io.WriteString(c.out, versionText(info))
	return err
}

// versionText formats the version report; info may be nil when the binary
// was built without module support.
func versionText(info *debug.BuildInfo) string {
	s := fmt.Sprintf("mifos-edge %s\n", version)
	if rev, when, dirty := vcsRevision(info); rev != "" {
		s += "revision:  " + rev
		if dirty {
			s += " (with uncommitted changes)"
		}
		s += "\n"
		if when != "" {
			s += "committed: " + when + "\n"
		}
	}
	s += fmt.Sprintf("go:        %s\nplatform:  %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return s
}

func vcsRevision(info *debug.BuildInfo) (rev, when string, dirty bool) {
	if info == nil {
		return "", "", false
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	return rev, when, dirty
}
