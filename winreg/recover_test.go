package winreg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func recoverBytes(t *testing.T, primary []byte, logs ...LogFile) (*Hive, *RecoveryReport) {
	t.Helper()
	h, report, err := Recover(bytes.NewReader(primary), int64(len(primary)), logs...)
	if err != nil {
		t.Fatal(err)
	}
	if h == nil || report == nil {
		t.Fatalf("Recover returned hive %v, report %v", h, report)
	}
	return h, report
}

func buildNumber(t *testing.T, h *Hive) uint64 {
	t.Helper()
	k, err := h.OpenKey(exchangeSetupKey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := k.Value("MsiBuildMajor")
	if err != nil {
		t.Fatal(err)
	}
	n, err := v.Uint64()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRecoverReplaysNewFormatLog(t *testing.T) {
	f := newNewFormatFixture(t)

	// Without replay, the dirty primary reads as it was before the log.
	plain := openBytes(t, f.primary)
	if !plain.Dirty() {
		t.Fatal("the fixture's primary file is not dirty")
	}
	if got := buildNumber(t, plain); got != buildBefore {
		t.Errorf("primary alone: MsiBuildMajor = %d, want %d", got, buildBefore)
	}
	if _, err := plain.OpenKey(patchesKey); !errors.Is(err, ErrNotFound) {
		t.Errorf("primary alone: %s: %v, want not found", patchesKey, err)
	}

	h, report := recoverBytes(t, f.primary, logFile("SOFTWARE.LOG1", f.log), logFile("SOFTWARE.LOG2", nil))
	if got := buildNumber(t, h); got != buildAfter {
		t.Errorf("recovered: MsiBuildMajor = %d, want %d", got, buildAfter)
	}
	k, err := h.OpenKey(patchesKey)
	if err != nil {
		t.Fatalf("recovered: %v", err)
	}
	if v, err := k.Value(""); err != nil {
		t.Error(err)
	} else if s, _ := v.String(); s != patchName {
		t.Errorf("recovered: %s default value = %q, want %q", patchesKey, s, patchName)
	}
	if got := stateOf(t, h, f.states); got != "v2" {
		t.Errorf("recovered hive reads as %s, want v2", got)
	}
	if h.Dirty() {
		t.Error("the recovered hive is dirty")
	}
	if !report.Dirty || !report.Applied || report.Format != "new" || report.Entries != 2 || report.Sequence != primarySecondary+1 {
		t.Errorf("report = %+v", report)
	}
	log1, log2 := report.Logs[0], report.Logs[1]
	if !log1.Used || log1.Entries != 2 || log1.FirstSequence != primarySecondary || log1.LastSequence != primarySecondary+1 || log1.Rejected != nil {
		t.Errorf("LOG1 report = %+v", log1)
	}
	if log1.Pages != report.Pages || report.Pages < 2 {
		t.Errorf("pages: LOG1 %d, report %d; want the same, at least 2", log1.Pages, report.Pages)
	}
	if log2.Used || log2.Refused == nil || !strings.Contains(log2.Refused.Error(), "empty") {
		t.Errorf("LOG2 (empty) report = %+v", log2)
	}
	for _, want := range []string{"replayed 2 log entries", "SOFTWARE.LOG1: applied 2 entries", "SOFTWARE.LOG2: not used: empty"} {
		if !strings.Contains(report.String(), want) {
			t.Errorf("report %q does not say %q", report, want)
		}
	}
	// The primary file was not written to.
	if !bytes.Equal(f.primary, dirtyPrimary(f.states.v0)) {
		t.Error("Recover modified the primary file's bytes")
	}
}

// TestRecoverStopsAtBadEntry damages the second entry in ways that each
// end the replay there: the first entry stays applied.
func TestRecoverStopsAtBadEntry(t *testing.T) {
	f := newNewFormatFixture(t)
	second := logBaseBlockSize + len(f.entry1) // offset of the second entry
	le := binary.LittleEndian
	for _, tc := range []struct {
		name, reason string
		damage       func(log []byte)
	}{
		{"page data changed (hash-1)", "hash-1", func(log []byte) { log[len(log)-sectorSize-1] ^= 1 }},
		{"page reference changed (hash-1)", "hash-1", func(log []byte) { log[second+hvleHeaderSize] ^= 0x10 }},
		// Hash-2 covers the stored hash-1, so it is the one that fails.
		{"stored hash-1 changed", "hash-2", func(log []byte) { log[second+hvleHash1] ^= 1 }},
		{"sequence changed (hash-2)", "hash-2", func(log []byte) { log[second+12] ^= 1 }},
		{"hash-2 changed", "hash-2", func(log []byte) { log[second+hvleHash2+7] ^= 0x80 }},
		{"sequence skips one", "sequence number 12, expected 11", func(log []byte) {
			le.PutUint32(log[second+12:], primarySecondary+2)
			rehashEntry(log[second:])
		}},
		{"bins size not whole blocks", "not a positive multiple of 4096", func(log []byte) {
			le.PutUint32(log[second+16:], le.Uint32(log[second+16:])+512)
			rehashEntry(log[second:])
		}},
		{"page outside the bins", "outside", func(log []byte) {
			le.PutUint32(log[second+hvleHeaderSize:], le.Uint32(log[second+16:]))
			rehashEntry(log[second:])
		}},
		{"page not whole sectors", "whole 512 byte sectors", func(log []byte) {
			le.PutUint32(log[second+hvleHeaderSize+4:], 100)
			rehashEntry(log[second:])
		}},
		{"entry size past the end", "truncated", func(log []byte) {
			le.PutUint32(log[second+4:], le.Uint32(log[second+4:])+sectorSize)
			rehashEntry(log[second:])
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := slices.Clone(f.log)
			tc.damage(log)
			h, report := recoverBytes(t, f.primary, logFile("SOFTWARE.LOG1", log))
			if got := stateOf(t, h, f.states); got != "v1" {
				t.Errorf("recovered hive reads as %s, want v1 (the first entry only)", got)
			}
			lr := report.Logs[0]
			if lr.Entries != 1 || lr.LastSequence != primarySecondary || report.Sequence != primarySecondary {
				t.Errorf("report = %+v", report)
			}
			if lr.Rejected == nil || !strings.Contains(lr.Rejected.Error(), tc.reason) {
				t.Errorf("Rejected = %v, want it to say %q", lr.Rejected, tc.reason)
			}
			if !strings.Contains(report.String(), "replay stopped") {
				t.Errorf("report %q does not say the replay stopped", report)
			}
		})
	}
}

// TestRecoverRefusesForeignLogs gives logs that must not be applied: the
// hive then reads as the primary file alone, and the report says why.
func TestRecoverRefusesForeignLogs(t *testing.T) {
	f := newNewFormatFixture(t)
	le := binary.LittleEndian
	withBase := func(edit func(base []byte)) []byte {
		log := slices.Clone(f.log)
		edit(log[:logBaseBlockSize])
		le.PutUint32(log[checksumOffset:], baseBlockChecksum(log[:logBaseBlockSize]))
		return log
	}
	other := NewBuilder("OTHER")
	other.SetDWORD(exchangeSetupKey, "MsiBuildMajor", buildAfter)
	otherHive, err := other.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	le.PutUint64(otherHive[12:], 0x01D70F0000000000) // written at another time
	for _, tc := range []struct {
		name, reason string
		log          []byte
	}{
		{"no regf signature", "no regf signature", withBase(func(b []byte) { copy(b, "rehf") })},
		{"bad base block checksum", "checksum", func() []byte { l := slices.Clone(f.log); l[100] ^= 1; return l }()},
		{"another hive's log", "timestamp", newFormatLog(otherHive, primarySecondary, f.entry1, f.entry2)},
		{"older than the primary", "older than the primary", withBase(func(b []byte) { le.PutUint32(b[4:], primarySecondary-1); le.PutUint32(b[8:], primarySecondary-1) })},
		{"base block half written", "not completely written", withBase(func(b []byte) { le.PutUint32(b[8:], primarySecondary-1) })},
		{"a primary file", "not a transaction log", withBase(func(b []byte) { le.PutUint32(b[28:], fileTypePrimary) })},
		{"unknown file type", "not a transaction log", withBase(func(b []byte) { le.PutUint32(b[28:], 3) })},
		{"too short", "too short", f.log[:100]},
		{"empty", "empty", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, report := recoverBytes(t, f.primary, logFile("SOFTWARE.LOG1", tc.log))
			if got := stateOf(t, h, f.states); got != "v0" {
				t.Errorf("hive reads as %s, want v0 (the primary file alone)", got)
			}
			if report.Applied || !h.Dirty() {
				t.Errorf("Applied = %v, Dirty() = %v; want nothing applied", report.Applied, h.Dirty())
			}
			if r := report.Logs[0].Refused; r == nil || !strings.Contains(r.Error(), tc.reason) {
				t.Errorf("Refused = %v, want it to say %q", r, tc.reason)
			}
			if !strings.Contains(report.String(), "no transaction log could be applied") {
				t.Errorf("report %q does not say that nothing was applied", report)
			}
		})
	}

	// A log whose first entry is not the one its base block announces
	// applies nothing.
	log := newFormatLog(f.primary, primarySecondary, f.entry2)
	h, report := recoverBytes(t, f.primary, logFile("SOFTWARE.LOG1", log))
	if got := stateOf(t, h, f.states); got != "v0" || report.Applied {
		t.Errorf("log starting at the wrong entry: hive reads as %s, report %v", got, report)
	}
	if r := report.Logs[0].Rejected; r == nil || !strings.Contains(r.Error(), "expected 10") {
		t.Errorf("Rejected = %v", r)
	}
}

// TestRecoverTruncatedLogs cuts the log at every sector and in between: the
// replay must stop cleanly at the last whole entry.
func TestRecoverTruncatedLogs(t *testing.T) {
	f := newNewFormatFixture(t)
	end1 := logBaseBlockSize + len(f.entry1)
	for n := 0; n <= len(f.log); n += sectorSize / 4 {
		h, report := recoverBytes(t, f.primary, logFile("SOFTWARE.LOG1", f.log[:n]))
		want := "v0"
		switch {
		case n == len(f.log):
			want = "v2"
		case n >= end1:
			want = "v1"
		}
		if got := stateOf(t, h, f.states); got != want {
			t.Fatalf("log cut to %d bytes: hive reads as %s, want %s (%s)", n, got, want, report)
		}
		// A cut inside an entry's header ends the log; a cut inside its
		// body is a truncated entry, which is rejected.
		lr := report.Logs[0]
		if n > logBaseBlockSize && n != end1 && n != len(f.log) {
			truncated := lr.Rejected != nil && strings.Contains(lr.Rejected.Error(), "truncated")
			if !truncated && !strings.Contains(lr.End, "end of the log") {
				t.Errorf("log cut to %d bytes: neither rejected as truncated nor ended: %+v", n, lr)
			}
		}
	}
}

// TestRecoverChoosesLogs gives LOG1 and LOG2 together.
func TestRecoverChoosesLogs(t *testing.T) {
	f := newNewFormatFixture(t)

	t.Run("entries split across both logs", func(t *testing.T) {
		// The hive writer switched logs after the first entry: LOG2 holds
		// the first, LOG1 the second. They are applied in sequence order,
		// whatever order they are given in.
		log2 := newFormatLog(f.primary, primarySecondary, f.entry1)
		log1 := newFormatLog(f.primary, primarySecondary+1, f.entry2)
		h, report := recoverBytes(t, f.primary, logFile("SOFTWARE.LOG1", log1), logFile("SOFTWARE.LOG2", log2))
		if got := stateOf(t, h, f.states); got != "v2" {
			t.Errorf("hive reads as %s, want v2", got)
		}
		if l1, l2 := report.Logs[0], report.Logs[1]; l1.Entries != 1 || l2.Entries != 1 || l2.LastSequence != primarySecondary || l1.FirstSequence != primarySecondary+1 {
			t.Errorf("report = %s", report)
		}
	})

	t.Run("stale log beside the current one", func(t *testing.T) {
		// LOG1 holds changes the primary file already has, and an entry
		// that would set another build number; LOG2 the current ones.
		s := newDirtyStates(t)
		stale := newFormatLog(f.primary, primarySecondary-2,
			hvleEntry(primarySecondary-2, uint32(len(s.v1)-baseBlockSize), changedPages(s.v0, s.v1, binAlignment)))
		h, report := recoverBytes(t, f.primary, logFile("SOFTWARE.LOG1", stale), logFile("SOFTWARE.LOG2", f.log))
		if got := stateOf(t, h, f.states); got != "v2" {
			t.Errorf("hive reads as %s, want v2", got)
		}
		if r := report.Logs[0].Refused; r == nil || !strings.Contains(r.Error(), "older than the primary") {
			t.Errorf("stale LOG1: Refused = %v", r)
		}
		if !report.Logs[1].Used {
			t.Errorf("LOG2 not used: %s", report)
		}
	})

	t.Run("second log does not continue the sequence", func(t *testing.T) {
		log1 := newFormatLog(f.primary, primarySecondary, f.entry1)
		gap := slices.Clone(f.entry2)
		binary.LittleEndian.PutUint32(gap[12:], primarySecondary+5)
		rehashEntry(gap)
		log2 := newFormatLog(f.primary, primarySecondary+5, gap)
		h, report := recoverBytes(t, f.primary, logFile("SOFTWARE.LOG1", log1), logFile("SOFTWARE.LOG2", log2))
		if got := stateOf(t, h, f.states); got != "v1" {
			t.Errorf("hive reads as %s, want v1", got)
		}
		if r := report.Logs[1].Rejected; r == nil || !strings.Contains(r.Error(), "expected 11") {
			t.Errorf("LOG2: Rejected = %v", r)
		}
	})

	t.Run("old format: the newer log wins", func(t *testing.T) {
		s := f.states
		older := oldFormatLog(s.v0, s.v1, primarySecondary+1)
		newer := oldFormatLog(s.v0, s.v2, primarySecondary+2)
		for _, order := range [][]LogFile{
			{logFile("SYSTEM.LOG1", older), logFile("SYSTEM.LOG2", newer)},
			{logFile("SYSTEM.LOG1", newer), logFile("SYSTEM.LOG2", older)},
		} {
			h, report := recoverBytes(t, f.primary, order...)
			if got := stateOf(t, h, s); got != "v2" {
				t.Errorf("hive reads as %s, want v2 (%s)", got, report)
			}
			if report.Format != "old" || report.Sequence != primarySecondary+2 {
				t.Errorf("report = %s", report)
			}
		}
	})
}

func TestRecoverCleanHiveIgnoresLogs(t *testing.T) {
	f := newNewFormatFixture(t)
	h, report := recoverBytes(t, f.states.v0, logFile("SOFTWARE.LOG1", f.log))
	if got := stateOf(t, h, f.states); got != "v0" {
		t.Errorf("clean hive reads as %s, want v0", got)
	}
	if report.Dirty || report.Applied || report.Logs[0].Used {
		t.Errorf("report = %+v", report)
	}
	if !strings.Contains(report.String(), "clean") {
		t.Errorf("report %q does not say the hive is clean", report)
	}
}

func TestRecoverOldFormatLog(t *testing.T) {
	s := newDirtyStates(t)
	primary := dirtyPrimary(s.v0)
	log := oldFormatLog(s.v0, s.v2, primarySecondary+1)
	h, report := recoverBytes(t, primary, logFile("SYSTEM.LOG", log))
	if got := stateOf(t, h, s); got != "v2" {
		t.Errorf("hive reads as %s, want v2 (%s)", got, report)
	}
	if !report.Applied || report.Format != "old" || report.Pages == 0 || report.Pages != report.Logs[0].Pages {
		t.Errorf("report = %+v", report)
	}

	// A truncated old-format log is a partial image and is not applied.
	for _, n := range []int{len(log) - 1, len(log) - sectorSize, logBaseBlockSize + 10} {
		h, report := recoverBytes(t, primary, logFile("SYSTEM.LOG", log[:n]))
		if got := stateOf(t, h, s); got != "v0" || report.Applied {
			t.Errorf("log cut to %d bytes: hive reads as %s, %s", n, got, report)
		}
		if r := report.Logs[0].Refused; r == nil || !strings.Contains(r.Error(), "truncated") {
			t.Errorf("log cut to %d bytes: Refused = %v", n, r)
		}
	}

	// A dirty page that starts a hive bin must be a valid bin header.
	bad := slices.Clone(log)
	pagesAt := align(logBaseBlockSize+4+(len(s.v2)-baseBlockSize)/4096, sectorSize)
	if string(bad[pagesAt:pagesAt+4]) != "hbin" {
		t.Fatalf("the first dirty page is not a bin header: %q", bad[pagesAt:pagesAt+4])
	}
	binary.LittleEndian.PutUint32(bad[pagesAt+4:], 0x1000)
	h, report = recoverBytes(t, primary, logFile("SYSTEM.LOG", bad))
	if report.Applied || report.Logs[0].Rejected == nil || !strings.Contains(report.Logs[0].Rejected.Error(), "hive bin") {
		t.Errorf("bad bin header: %s", report)
	}
	if got := stateOf(t, h, s); got != "v0" {
		t.Errorf("bad bin header: hive reads as %s", got)
	}
}

// TestRecoverDamagedPrimaryBaseBlock: when the primary's base block has a
// wrong checksum, the log's copy of it is used, with the log holding the
// latest entries.
func TestRecoverDamagedPrimaryBaseBlock(t *testing.T) {
	f := newNewFormatFixture(t)
	primary := slices.Clone(f.primary)
	binary.LittleEndian.PutUint32(primary[checksumOffset:], 0x12345678)
	stale := newFormatLog(f.primary, primarySecondary-4, hvleEntry(primarySecondary-4, uint32(len(f.states.v0)-baseBlockSize), nil))
	h, report := recoverBytes(t, primary, logFile("SOFTWARE.LOG1", f.log), logFile("SOFTWARE.LOG2", stale))
	if got := stateOf(t, h, f.states); got != "v2" {
		t.Errorf("hive reads as %s, want v2 (%s)", got, report)
	}
	if r := report.Logs[1].Refused; r == nil || !strings.Contains(r.Error(), "latest entries") {
		t.Errorf("LOG2: Refused = %v", r)
	}
	if h.Dirty() {
		t.Error("the recovered hive is dirty")
	}
}

// TestRecoverPrimaryReadError: a primary file that cannot be read where a
// page must be merged is an error, not a silent partial hive.
func TestRecoverPrimaryReadError(t *testing.T) {
	f := newNewFormatFixture(t)
	failing := &failAfter{data: f.primary, limit: baseBlockSize + hbinHeaderSize}
	_, _, err := Recover(failing, int64(len(f.primary)), logFile("SOFTWARE.LOG1", f.log))
	if err == nil {
		t.Fatal("Recover succeeded though the primary file could not be read")
	}
}

// failAfter is a reader whose reads beyond limit fail.
type failAfter struct {
	data  []byte
	limit int64
}

func (r *failAfter) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > r.limit {
		return 0, errors.New("disk read error")
	}
	return bytes.NewReader(r.data).ReadAt(p, off)
}

var _ io.ReaderAt = (*failAfter)(nil)

// TestReglookupReadsRecoveredHive writes the recovered hive to a file and
// reads it with reglookup, which does not replay logs itself: it must see
// the logged values there, and not in the dirty primary file.
func TestReglookupReadsRecoveredHive(t *testing.T) {
	reglookup := requireTool(t, "reglookup")
	f := newNewFormatFixture(t)
	h, _ := recoverBytes(t, f.primary, logFile("SOFTWARE.LOG1", f.log))
	dir := t.TempDir()
	recovered, primary := filepath.Join(dir, "recovered"), filepath.Join(dir, "SOFTWARE")
	if err := os.WriteFile(recovered, hiveImage(t, h), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(primary, f.primary, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(file string) string {
		cmd := exec.Command(reglookup, "-H", file)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("reglookup %s: %v\n%s", file, err, stderr.Bytes())
		}
		if bytes.Contains(stderr.Bytes(), []byte("ERROR")) {
			t.Errorf("reglookup %s reported errors:\n%s", file, stderr.Bytes())
		}
		return string(out)
	}
	setup := "/" + strings.ReplaceAll(exchangeSetupKey, `\`, "/")
	patched := setup + "/Patches/,SZ," + patchName + ","
	buildLine := func(n int) string { return fmt.Sprintf("%s/MsiBuildMajor,DWORD,0x%08X,", setup, n) }

	got := run(recovered)
	for _, want := range []string{patched, buildLine(buildAfter)} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("reglookup on the recovered hive lacks %q", want)
		}
	}
	// The whole listing agrees with this package's reading.
	if want := strings.Join(reglookupListing(t, h), "\n") + "\n"; got != want {
		t.Errorf("reglookup and this package read the recovered hive differently:\nreglookup:\n%s\nthis package:\n%s", got, want)
	}

	before := run(primary)
	if strings.Contains(before, patched) || strings.Contains(before, buildLine(buildAfter)) {
		t.Error("reglookup on the dirty primary file already shows the logged values")
	}
	if !strings.Contains(before, buildLine(buildBefore)+"\n") {
		t.Errorf("reglookup on the dirty primary file lacks %q", buildLine(buildBefore))
	}
}
