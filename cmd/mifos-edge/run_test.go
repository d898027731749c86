package main

import (
	"flag"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// --debug turns the AT trace on; --trace-sms-text does too and asks for
// whole PDUs, and its help says what that puts in the log.
func TestTraceFlags(t *testing.T) {
	cases := []struct {
		args           []string
		debug, smsText bool
	}{
		{nil, false, false},
		{[]string{"--debug"}, true, false},
		{[]string{"--trace-sms-text"}, true, true},
		{[]string{"--debug", "--trace-sms-text"}, true, true},
	}
	for _, c := range cases {
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		trace := traceFlags(fs)
		if err := fs.Parse(c.args); err != nil {
			t.Fatalf("%q: %v", c.args, err)
		}
		if trace.debug() != c.debug || *trace.smsText != c.smsText {
			t.Errorf("%q: debug %v, sms text %v; want %v, %v", c.args, trace.debug(), *trace.smsText, c.debug, c.smsText)
		}
	}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	traceFlags(fs)
	usage := fs.Lookup("trace-sms-text").Usage
	for _, want := range []string{"message text", "PINs"} {
		if !strings.Contains(usage, want) || !strings.Contains(runUsage, "PINs") {
			t.Errorf("the help of --trace-sms-text does not warn about %q: %q", want, usage)
		}
	}
	if !newLogger(true).Enabled(t.Context(), slog.LevelDebug) || newLogger(false).Enabled(t.Context(), slog.LevelDebug) {
		t.Error("--debug does not set the log level that turns the trace on")
	}
}
