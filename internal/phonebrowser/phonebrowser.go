// Package phonebrowser opens Debian's chromium headless at a phone's size
// with JavaScript switched off, for the console's browser tests (the
// package's own and the end-to-end ones against the real daemon). Only
// tests import it; the daemon's binary never does.
package phonebrowser

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Width and Height are the phone's screen in CSS pixels.
const Width, Height = 360, 740

// Find returns chromium's path. Without it the test is skipped on a
// developer's machine but fails where CI is set: there the browser check
// must run.
func Find(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed, and CI is set: the console must be checked in a real browser (apt-get install chromium)")
	}
	t.Skip("chromium is not installed; install it (apt-get install chromium) to check the console in a browser")
	return ""
}

// Open starts chromium at the phone's size with page scripts off and
// returns a tab's context, ended with the test or after timeout.
func Open(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(Find(t)), chromedp.WindowSize(Width, Height))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // chromium refuses to run as root with its sandbox
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	ctx, cancelRun := context.WithTimeout(ctx, timeout)
	t.Cleanup(cancelRun)
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(Width, Height, chromedp.EmulateScale(2), chromedp.EmulatePortrait, chromedp.EmulateMobile),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}),
	); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// ShotsDir is where screenshots go: docs/screenshots (the committed ones)
// with CONSOLE_SCREENSHOTS=1, else a temporary directory. repoRoot is the
// repository's root as seen from the test's package.
func ShotsDir(t testing.TB, repoRoot string) string {
	t.Helper()
	if os.Getenv("CONSOLE_SCREENSHOTS") != "1" {
		return t.TempDir()
	}
	dir := filepath.Join(repoRoot, "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Figures are what navigation timing says about one page load.
type Figures struct {
	HTML   float64  `json:"html"`   // bytes of the HTML document
	CSS    float64  `json:"css"`    // bytes of stylesheets fetched for this load (0: from the browser's cache)
	Others []string `json:"others"` // other resources loaded (must stay none)
	Render float64  `json:"render"` // ms from navigation start (redirects included) to load end
	Wide   float64  `json:"wide"`   // document width in CSS pixels
}

// Measure reads the page's Figures.
func Measure(ctx context.Context) (Figures, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[Figures](measureJS))
}

// measureJS is evaluated in the page by the test (page scripts are off).
// Sizes are the decoded bodies; the console does not compress.
const measureJS = `(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  let css = 0, other = [];
  for (const r of performance.getEntriesByType('resource')) {
    if (r.name.endsWith('.css')) css += r.decodedBodySize;
    else if (!r.name.endsWith('/favicon.ico')) other.push(r.name); // the browser's own request
  }
  return {html: nav.decodedBodySize, css: css, others: other,
          render: nav.loadEventEnd - nav.startTime, wide: document.documentElement.scrollWidth};
})()`
