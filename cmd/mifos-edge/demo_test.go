//go:build !nodemo

package main

import (
	"strings"
	"testing"
)

// The demo takes the trace flags too; its help warns the same way.
func TestDemoHelpWarnsAboutPINs(t *testing.T) {
	if !strings.Contains(demoUsage, "PINs") {
		t.Errorf("demo help does not warn that --trace-sms-text shows PINs: %q", demoUsage)
	}
}
