package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestLine(t *testing.T) {
	got := Line("Exchange logs", 10, 40, 512<<20, 2048<<20, 2*time.Second)
	for _, want := range []string{"10/40 files", "512 MiB/2048 MiB", "256 MiB/s", "6s left"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	if got := Line("files", 0, 5, 0, 100, 0); strings.Contains(got, "left") {
		t.Errorf("no rate or time left before any progress: %q", got)
	}
}

func TestTerminalRedrawsInPlace(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf)
	p.Start("files", 3, 300)
	p.Add(1, 100)
	p.Done()
	out := buf.String()
	if strings.Contains(out, "\n") || !strings.HasPrefix(out, "\r") || !strings.HasSuffix(out, "\r") {
		t.Errorf("progress must redraw one line with carriage returns and clear it: %q", out)
	}
}
