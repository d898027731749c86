package config

import (
	"strings"
	"testing"
	"time"
)

func TestGatewaySettingsAreChecked(t *testing.T) {
	cases := []struct {
		name   string
		change func(c *Config)
		want   string // "" means valid
	}{
		{"defaults", func(c *Config) {}, ""},
		{"prefix", func(c *Config) { c.Gateway.Prefix = "/gateway" }, ""},
		{"nested prefix", func(c *Config) { c.Gateway.Prefix = "/fineract/gw" }, ""},
		{"prefix without /", func(c *Config) { c.Gateway.Prefix = "gateway" }, "gateway.prefix"},
		{"prefix with trailing /", func(c *Config) { c.Gateway.Prefix = "/gateway/" }, "gateway.prefix"},
		{"root as prefix", func(c *Config) { c.Gateway.Prefix = "/" }, "gateway.prefix"},
		{"prefix on the hooks", func(c *Config) { c.Gateway.Prefix = "/hooks" }, "taken by other routes"},
		{"prefix on the API", func(c *Config) { c.Gateway.Prefix = "/api/v1" }, "taken by other routes"},
		{"negative provider id", func(c *Config) { c.Gateway.ProviderID = -1 }, "gateway.provider_id"},
		{"phone not E.164", func(c *Config) { c.Gateway.PhoneNo = "0712345678" }, "gateway.phone_no"},
		{"batch too big", func(c *Config) { c.Gateway.MaxBatch = 100000 }, "gateway.max_batch"},
		{"lost_after too short", func(c *Config) { c.Gateway.LostAfter = Duration{time.Second} }, "gateway.lost_after"},
		{"events", func(c *Config) { c.FineractHooks.Events = []string{"LOAN/APPROVE", "LOAN/REPAYMENT"} }, ""},
		{"unknown event", func(c *Config) { c.FineractHooks.Events = []string{"CLIENT/CREATE"} }, `"CLIENT/CREATE" is not an event`},
		{"lower-case event", func(c *Config) { c.FineractHooks.Events = []string{"loan/approve"} }, "is not an event"},
		{"event twice", func(c *Config) { c.FineractHooks.Events = []string{"LOAN/APPROVE", "LOAN/APPROVE"} }, "listed twice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := validConfig(t)
			c.change(cfg)
			err := cfg.Validate()
			switch {
			case c.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("error %v, want one naming %q", err, c.want)
			}
		})
	}
}

func TestGatewayTablesParse(t *testing.T) {
	cfg, err := Parse([]byte(`[modem]
device = "/dev/ttyUSB0"
[store]
path = "/tmp/x.db"
[gateway]
prefix = "/gateway"
report_wait = "2h"
[fineract_hooks]
events = ["LOAN/REPAYMENT"]
`), "t.toml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Gateway.Prefix != "/gateway" || cfg.Gateway.ReportWait.Duration != 2*time.Hour || cfg.Gateway.ProviderID != 1 ||
		cfg.Gateway.LostAfter.Duration != time.Hour || len(cfg.FineractHooks.Events) != 1 {
		t.Errorf("parsed %+v %+v", cfg.Gateway, cfg.FineractHooks)
	}
	if _, err := Parse([]byte("[modem]\ndevice=\"x\"\n[store]\npath=\"y\"\n[gateway]\nprefx = \"/g\"\n"), "t.toml"); err == nil || !strings.Contains(err.Error(), "prefix") {
		t.Errorf("misspelt key: %v", err)
	}
}
