package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func replaceInFile(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestSendWhileRunningAndWhileStopped(t *testing.T) {
	e := newEnv(t, envOptions{})
	// Stopped: the CLI writes to the store itself.
	out, err := e.cli("send", "+254700000031", "Your meeting is on Friday")
	if err != nil {
		t.Fatalf("send while stopped: %v\n%s", err, out)
	}
	if !strings.Contains(out, "not running") {
		t.Fatalf("send while stopped should say the daemon is not running: %s", out)
	}
	e.start()
	if r := e.waitReply("+254700000031", 20*time.Second); r.Text != "Your meeting is on Friday" {
		t.Fatalf("sent %q", r.Text)
	}
	// Running: the CLI goes through the control socket (the store is locked).
	long := strings.Repeat("Karibu sana. ", 20) // 260 chars: two parts
	out, err = e.cli("send", "+254700000032", long)
	if err != nil {
		t.Fatalf("send while running: %v\n%s", err, out)
	}
	if r := e.waitReply("+254700000032", 20*time.Second); r.Text != long || r.Parts != 2 {
		t.Fatalf("sent %d parts %q", r.Parts, r.Text)
	}
	// A bad number is refused at once with a reason, nothing queued.
	out, err = e.cli("send", "not-a-number", "hi")
	if err == nil || !strings.Contains(out, "not-a-number") {
		t.Fatalf("bad number accepted: %v\n%s", err, out)
	}
}

func TestBrokenConfigNamesKeyAndLine(t *testing.T) {
	e := newEnv(t, envOptions{})
	replaceInFile(t, e.cfgPath, "probe_interval", "probe_intervall")
	out, err := exec.Command(binary, "run", "--config", e.cfgPath).CombinedOutput()
	if err == nil {
		t.Fatal("daemon started with an unknown key")
	}
	if !strings.Contains(string(out), "probe_intervall") || !strings.Contains(string(out), ":3") {
		t.Fatalf("error does not name the key and line 3: %s", out)
	}
}

// demo --debug shows the AT trace; the client's BAL shows as a PDU header
// without its text unless --trace-sms-text asks for the text.
func TestDemoDebugShowsTheATTrace(t *testing.T) {
	const balText = "C22013" // "BAL" in GSM 7-bit
	for _, flag := range []string{"--debug", "--trace-sms-text"} {
		out, err := exec.Command(binary, "demo", "--once", flag).CombinedOutput()
		if err != nil {
			t.Fatalf("demo --once %s: %v\n%s", flag, err, out)
		}
		for _, want := range []string{
			`level=DEBUG msg="AT sent" component=modem line="AT+CMGL=4"`,
			`msg="AT received" component=modem line=OK`,
			`msg="AT URC" component=modem line=^RSSI`,
			`msg="AT sent" component=modem line="AT+CMGS=`,
		} {
			if !strings.Contains(string(out), want) {
				t.Fatalf("demo %s: the trace lacks %s:\n%s", flag, want, out)
			}
		}
		hidden := strings.Contains(string(out), "[SMS-DELIVER, from +254712345678; 3 octets of text not shown]")
		shown := strings.Contains(string(out), "03"+balText)
		if flag == "--debug" && (!hidden || strings.Contains(string(out), balText)) {
			t.Fatalf("demo --debug: the BAL's PDU is not shown without its text:\n%s", out)
		}
		if flag == "--trace-sms-text" && (hidden || !shown) {
			t.Fatalf("demo --trace-sms-text: the BAL's PDU is not shown whole:\n%s", out)
		}
	}
}

func TestDemoOnce(t *testing.T) {
	out, err := exec.Command(binary, "demo", "--once").CombinedOutput()
	if err != nil {
		t.Fatalf("demo --once: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "daemon replied to +254712345678: Amina Odhiambo: L1") {
		t.Fatalf("demo printed no balance reply: %s", out)
	}
}
