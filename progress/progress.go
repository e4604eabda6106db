// Package progress shows a scan's progress on a terminal: files and bytes
// done, throughput and time left, redrawn in place with a carriage return so
// that it works on old Windows consoles that ignore ANSI cursor codes. When
// the output is not a terminal it stays silent, because stdout and stderr
// are then captured by scripts.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// redrawEvery bounds redraws so that a fast scan does not spend its time
// printing.
const redrawEvery = 200 * time.Millisecond

// Terminal draws progress lines on a terminal.
type Terminal struct {
	out io.Writer

	mu         sync.Mutex
	phase      string
	files      int
	bytes      int64
	doneFiles  int
	doneBytes  int64
	started    time.Time
	lastDraw   time.Time
	lastLength int
}

// New returns a progress display on out.
func New(out io.Writer) *Terminal { return &Terminal{out: out} }

// IsTerminal reports whether f is an interactive terminal (a character
// device), without cgo or extra modules.
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (t *Terminal) Start(phase string, files int, bytes int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.phase, t.files, t.bytes = phase, files, bytes
	t.doneFiles, t.doneBytes = 0, 0
	t.started = time.Now()
	t.draw(true)
}

func (t *Terminal) Add(files int, bytes int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.doneFiles += files
	t.doneBytes += bytes
	t.draw(false)
}

// Done clears the line.
func (t *Terminal) Done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.out, "\r%*s\r", t.lastLength, "")
	t.lastLength = 0
}

func (t *Terminal) draw(force bool) {
	now := time.Now()
	if !force && now.Sub(t.lastDraw) < redrawEvery {
		return
	}
	t.lastDraw = now
	line := Line(t.phase, t.doneFiles, t.files, t.doneBytes, t.bytes, now.Sub(t.started))
	pad := t.lastLength - len(line)
	if pad < 0 {
		pad = 0
	}
	fmt.Fprintf(t.out, "\r%s%*s", line, pad, "")
	t.lastLength = len(line)
}

// Line formats one progress line.
func Line(phase string, doneFiles, files int, doneBytes, bytes int64, elapsed time.Duration) string {
	s := fmt.Sprintf("%s: %d/%d files, %s/%s", phase, doneFiles, files, mib(doneBytes), mib(bytes))
	if files == 0 && bytes == 0 {
		// Totals not known yet: the files are checked as they are found.
		s = fmt.Sprintf("%s: %d files, %s", phase, doneFiles, mib(doneBytes))
	}
	if secs := elapsed.Seconds(); secs > 0.5 && doneBytes > 0 {
		rate := float64(doneBytes) / secs
		s += fmt.Sprintf(", %s/s", mib(int64(rate)))
		if bytes > doneBytes {
			eta := time.Duration(float64(bytes-doneBytes) / rate * float64(time.Second))
			s += ", " + eta.Round(time.Second).String() + " left"
		}
	}
	return s
}

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }
