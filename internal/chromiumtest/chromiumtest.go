// Package chromiumtest runs headless Chromium for the tests of the HTML
// report: it loads a page from a file, lets its script run, and returns the
// resulting DOM or a screenshot.
//
// Chromium is a test dependency, not a build one. Where it is missing the
// tests that need it are skipped with a message, except under CI (CI=true),
// where a missing browser fails them: CI must not pass by skipping them.
package chromiumtest

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Timeout bounds one run of Chromium; its start alone can take seconds on
// a loaded machine.
const Timeout = 60 * time.Second

// names are the commands Chromium is installed as.
var names = []string{"chromium", "chromium-browser"}

// Browser is a Chromium found on this machine.
type Browser struct {
	path string
}

// Find returns the installed Chromium. Without one the test is skipped,
// or fails when the environment says it runs under CI.
func Find(t testing.TB) *Browser {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return &Browser{path: p}
		}
	}
	msg := "headless Chromium is not installed (apt-get install chromium): the HTML report's browser tests cannot run"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + ", and CI=true: CI must run them")
	}
	t.Skip(msg)
	return nil
}

// FileURL is the file: URL of a local file, with a fragment when one is
// given.
func FileURL(t testing.TB, path, fragment string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // C:/x on Windows
	}
	u := url.URL{Scheme: "file", Path: p, Fragment: fragment}
	return u.String()
}

// DumpDOM loads the page and returns its DOM as HTML once the page has
// loaded and its scripts have run; flags are more Chromium flags.
func (b *Browser) DumpDOM(t testing.TB, page string, flags ...string) string {
	t.Helper()
	out := b.run(t, append(append([]string{"--dump-dom"}, flags...), page)...)
	if !bytes.Contains(out, []byte("<html")) {
		t.Fatalf("chromium --dump-dom %s printed no document: %.300q", page, out)
	}
	return string(out)
}

// Screenshot loads the page in a window of the given size and writes a
// PNG of it to png.
func (b *Browser) Screenshot(t testing.TB, page, png string, width, height int) {
	t.Helper()
	os.Remove(png)
	b.run(t, "--screenshot="+png, "--window-size="+strconv.Itoa(width)+","+strconv.Itoa(height), "--hide-scrollbars", page)
	data, err := os.ReadFile(png)
	if err != nil || !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("chromium wrote no PNG to %s: %v", png, err)
	}
}

// run starts Chromium with a fresh profile and no network: every host
// name resolves to nothing, so a page that tried to reach out would fail
// rather than leave the machine.
func (b *Browser) run(t testing.TB, args ...string) []byte {
	t.Helper()
	profile, err := os.MkdirTemp("", "exhunt-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	// Not t.TempDir: a helper process of Chromium may still be writing to
	// it for a moment, and a failed clean-up must not fail the test.
	defer os.RemoveAll(profile)
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	all := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--mute-audio", "--host-resolver-rules=MAP * ~NOTFOUND",
		"--user-data-dir=" + profile,
	}, args...)
	cmd := exec.CommandContext(ctx, b.path, all...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ownGroup(cmd)
	cmd.Cancel = func() error { return killGroup(cmd) }
	// Chromium's helpers may keep the output open after it exits.
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err = cmd.Run()
	// Whatever happened, nothing of this run outlives it.
	killGroup(cmd)
	if ctx.Err() != nil {
		t.Fatalf("chromium %s: no result after %v (killed): %s", strings.Join(args, " "), Timeout, tail(stderr.Bytes()))
	}
	if err != nil && !errors.Is(err, exec.ErrWaitDelay) {
		t.Fatalf("chromium %s: %v: %s", strings.Join(args, " "), err, tail(stderr.Bytes()))
	}
	t.Logf("chromium %s: %v", args[0], time.Since(start).Round(time.Millisecond))
	return stdout.Bytes()
}

// tail is the end of Chromium's error output, without its D-Bus noise.
func tail(stderr []byte) string {
	var keep []string
	for _, l := range strings.Split(string(stderr), "\n") {
		if l != "" && !strings.Contains(l, "dbus") {
			keep = append(keep, l)
		}
	}
	if len(keep) > 20 {
		keep = keep[len(keep)-20:]
	}
	return strings.Join(keep, "\n")
}

// ArtefactDir is where tests keep what a person may want to look at after
// a run (screenshots, rendered pages): the folder EXHUNT_ARTEFACTS names,
// created when missing, else the test's temporary folder.
func ArtefactDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("EXHUNT_ARTEFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
