package config

import (
	"os"
	"strings"
	"testing"
)

// The README's mobile disbursement examples are what a technician copies:
// each must be a valid configuration as it stands.
func TestReadmeDisbursementExamplesAreValid(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	start := strings.Index(doc, "## Mobile disbursement")
	if start < 0 {
		t.Fatal(`README has no "Mobile disbursement" section`)
	}
	section := doc[start:]
	section = section[:strings.Index(section[3:], "\n## ")+3]
	var examples []string
	var cur []string
	for _, line := range strings.Split(section, "\n") {
		switch {
		case strings.HasPrefix(line, "    "):
			cur = append(cur, strings.TrimPrefix(line, "    "))
		case line == "" && len(cur) > 0:
			cur = append(cur, "")
		default:
			if len(cur) > 0 && strings.HasPrefix(cur[0], "[disbursement]") {
				examples = append(examples, strings.Join(cur, "\n"))
			}
			cur = nil
		}
	}
	providers := map[string]bool{}
	for i, ex := range examples {
		base := "[modem]\ndevice = \"/dev/ttyUSB0\"\n[store]\npath = \"/var/lib/mifos-edge/state.db\"\n" +
			"[mifos]\nbase_url = \"https://mifos.example.org/fineract-provider/api/v1\"\ntenant = \"default\"\nusername = \"box\"\npassword_file = \"/etc/mifos-edge/p\"\n" +
			"[http]\nlisten = \"127.0.0.1:8080\"\n"
		cfg, err := Parse([]byte(base+ex), "README.md")
		if err != nil {
			t.Fatalf("example %d does not parse: %v\n%s", i+1, err, ex)
		}
		cfg.SetDefaults()
		if err := cfg.Validate(); err != nil {
			t.Errorf("example %d is not valid: %v\n%s", i+1, err, ex)
		}
		providers[cfg.Disbursement.Provider] = true
	}
	for _, p := range DisbursementProviders {
		if !providers[p] {
			t.Errorf("README has no complete example of provider %s", p)
		}
	}
}
