package config

import (
	"strings"
	"testing"
)

// FuzzParse checks that no input panics the key walk, and that every
// rejection names the file so a technician knows where to look.
func FuzzParse(f *testing.F) {
	f.Add(string(Example()))
	f.Add(minimal)
	f.Add("modem = { device = \"x\", baud = \"y\" }\n[store]\npath = 1\n")
	f.Add("[[modem]]\n[modem.device.x]\na.b.c = [1, \"x\"]\n")
	f.Fuzz(func(t *testing.T, doc string) {
		cfg, err := Parse([]byte(doc), "fuzz.toml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.toml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		// Required keys may be present but empty; Validate must then say so.
		if (cfg.Modem.Device == "" || cfg.Store.Path == "") && cfg.Validate() == nil {
			t.Fatalf("Validate accepted a config without device or store path: %q", doc)
		}
	})
}
