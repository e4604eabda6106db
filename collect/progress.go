package collect

import (
	"fmt"
	"io"
	"time"

	"github.com/exhunt/exhunt/triage"
)

// progress prints a line now and then while files are taken.
type progress struct {
	w           io.Writer
	total       int
	totalBytes  int64
	files       int
	bytes       int64
	last, start time.Time
}

func newProgress(w io.Writer, items []*item) *progress {
	p := &progress{w: w, start: time.Now()}
	p.last = p.start
	for _, it := range items {
		if it.entry == nil {
			p.total++
			p.totalBytes += it.size
		}
	}
	return p
}

func (p *progress) done(e triage.Entry) {
	if p.w == nil || e.Status == triage.Skipped {
		return
	}
	p.files++
	p.bytes += max(e.Size, 0)
	if now := time.Now(); now.Sub(p.last) >= 2*time.Second {
		p.last = now
		fmt.Fprintf(p.w, "collect: %d of %d files, %s of %s\n", p.files, p.total, megabytes(p.bytes), megabytes(p.totalBytes))
	}
}

func (p *progress) end() {
	if p.w != nil && p.files > 0 {
		fmt.Fprintf(p.w, "collect: %d files, %s in %s\n", p.files, megabytes(p.bytes), time.Since(p.start).Round(100*time.Millisecond))
	}
}

func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
