package ops

import (
	"strings"
	"testing"
)

func TestVersionFromLDFlags(t *testing.T) {
	for flags, want := range map[string]string{
		"-s -w -X main.version=1.4.2":           "1.4.2",
		"-s -w -X=main.version=1.4.2":           "1.4.2",
		"-X main.other=1 -X 'main.version=2.0'": "2.0",
		"-s -w":                                 "",
		"-X main.version=":                      "",
		"-X":                                    "",
	} {
		got, ok := versionFromLDFlags(flags)
		if got != want || ok != (want != "") {
			t.Errorf("%q: got %q %v, want %q", flags, got, ok, want)
		}
	}
}

func FuzzVersionFromLDFlags(f *testing.F) {
	for _, s := range []string{"-s -w -X main.version=1.4.2", "-X=main.version=x", "-X", "", "-X main.version=\"a b\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, flags string) {
		v, ok := versionFromLDFlags(flags)
		if ok == (v == "") {
			t.Fatalf("%q: %q %v", flags, v, ok)
		}
		// The version is one field of the flags, never more.
		if strings.ContainsAny(v, " \t\n") {
			t.Fatalf("%q gave %q", flags, v)
		}
		// A version becomes a label value: escaping must keep it one line.
		if strings.Contains(escape(v), "\n") {
			t.Fatalf("escaped %q has a newline", v)
		}
	})
}
