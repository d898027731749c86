package main

import (
	"bytes"
	"context"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionText(t *testing.T) {
	info := &debug.BuildInfo{Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef"},
		{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	got := versionText(info)
	for _, want := range []string{
		"mifos-edge " + version + "\n",
		"revision:  0123456789abcdef (with uncommitted changes)\n",
		"committed: 2026-01-02T03:04:05Z\n",
		"go:        " + runtime.Version() + "\n",
		"platform:  " + runtime.GOOS + "/" + runtime.GOARCH + "\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("version text lacks %q:\n%s", want, got)
		}
	}

	bare := versionText(nil)
	if strings.Contains(bare, "revision") {
		t.Errorf("without build info there is no revision line, got:\n%s", bare)
	}
	clean := versionText(&debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}})
	if !strings.Contains(clean, "revision:  abc\n") {
		t.Errorf("clean build shows %q", clean)
	}
}

func TestVersionCommand(t *testing.T) {
	var out bytes.Buffer
	cmd := versionCommand{out: &out}
	if err := cmd.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "mifos-edge "+version+"\n") {
		t.Errorf("output %q", out.String())
	}
	if err := cmd.Run(context.Background(), []string{"extra"}); err == nil {
		t.Error("version accepted a stray argument")
	}
	if _, ok := commands["version"].(versionCommand); !ok {
		t.Error("version command is not registered")
	}
}
