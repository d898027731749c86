package ops

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// buildInfo is what mifos_edge_build_info shows: the release, the source
// revision and the Go version.
type buildInfo struct{ version, revision, goVersion string }

func readBuildInfo() buildInfo {
	b := buildInfo{version: "dev", goVersion: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "-ldflags":
			if v, ok := versionFromLDFlags(s.Value); ok {
				b.version = v
			}
		case "vcs.revision":
			b.revision = s.Value
		}
	}
	return b
}

// versionFromLDFlags finds the release the build scripts stamp into
// package main ("-X main.version=1.2.3"); the binary records its
// ldflags, so this package need not be told by main.
func versionFromLDFlags(flags string) (string, bool) {
	const key = "main.version="
	// A shell may have kept the quotes: -X 'main.version=1.2'.
	unquote := func(s string) string { return strings.Trim(s, `'"`) }
	fields := strings.Fields(flags)
	for i, f := range fields {
		f = unquote(f)
		v, found := strings.CutPrefix(f, "-X="+key)
		if !found && f == "-X" && i+1 < len(fields) {
			v, found = strings.CutPrefix(unquote(fields[i+1]), key)
		}
		if !found {
			v, found = strings.CutPrefix(f, "-X"+key)
		}
		if v = unquote(v); found && v != "" {
			return v, true
		}
	}
	return "", false
}
