package eventlog

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/root"
	"github.com/exhunt/exhunt/source"
	"github.com/exhunt/exhunt/source/evtx/evtxwrite"
	"github.com/exhunt/exhunt/source/literal"
)

var t0 = time.Date(2021, 3, 3, 6, 50, 0, 0, time.UTC)

func writeLog(t *testing.T, path, channel string, n int) []byte {
	t.Helper()
	var events []evtxwrite.Event
	for i := range n {
		events = append(events, evtxwrite.Event{Time: t0.Add(time.Duration(i) * time.Second), Provider: "P", EventID: uint16(100 + i%3),
			Channel: channel, Computer: "EX01", Data: []evtxwrite.Data{{Name: "Image", Value: `C:\Windows\System32\cmd.exe`}, {Name: "N", Value: uint32(i)}}})
	}
	var buf bytes.Buffer
	if err := evtxwrite.Write(&buf, events); err != nil {
		t.Fatal(err)
	}
	if path != "" {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func server(t *testing.T, dir string) *facts.Server {
	t.Helper()
	fsys, err := root.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	s := facts.Gather(root.NewDrives(fsys), facts.Options{RootDir: dir, Label: "EX01"})
	t.Cleanup(func() { s.Close() })
	return s
}

// TestPlan: on a system drive, the channels the checks read are planned
// with their channel (from the first record, whatever the file's name),
// other channels are not, sub-folders are read too; a copied folder of
// logs is read whole; a file given with --evtx that the copy holds is read
// once.
func TestPlan(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "Windows", "System32", "winevt", "Logs")
	writeLog(t, filepath.Join(logs, "Security.evtx"), "Security", 5)
	writeLog(t, filepath.Join(logs, "renamed-copy.evtx"), "MSExchange Management", 5)
	writeLog(t, filepath.Join(logs, "Microsoft-Windows-TaskScheduler%4Operational.evtx"), "Microsoft-Windows-TaskScheduler/Operational", 5)
	writeLog(t, filepath.Join(logs, "Archive", "Security-old.evtx"), "Security", 5)
	os.WriteFile(filepath.Join(logs, "Microsoft-Windows-Sysmon%4Operational.evtx"), []byte("ElfFile\x00damaged"), 0o644)
	s := server(t, dir)
	var problems []string
	plan := Source{}.Plan(context.Background(), s, func(p, msg string) { problems = append(problems, p+": "+msg) })
	var got []string
	for _, in := range plan.Inputs {
		got = append(got, filepath.Base(in.Path)+"="+in.Folder)
	}
	slices.Sort(got)
	want := []string{"Microsoft-Windows-Sysmon%4Operational.evtx=Microsoft-Windows-Sysmon/Operational", "Security-old.evtx=Security", "Security.evtx=Security", "renamed-copy.evtx=MSExchange Management"}
	if !slices.Equal(got, want) {
		t.Errorf("planned %v, want %v", got, want)
	}
	s.LooseEventLogs = []string{logs, filepath.Join(t.TempDir(), "missing.evtx")}
	problems = nil
	again := Source{}.Plan(context.Background(), s, func(p, msg string) { problems = append(problems, p+": "+msg) })
	// Given with --evtx, the task scheduler's log is read whatever its
	// channel; the others are the copy's and are not read twice.
	if len(again.Inputs) != len(plan.Inputs)+1 || len(problems) != 1 || !strings.Contains(problems[0], "missing.evtx") {
		t.Errorf("--evtx of the copy's own folder: %d inputs (want %d), problems %v", len(again.Inputs), len(plan.Inputs)+1, problems)
	}

	copied := t.TempDir()
	writeLog(t, filepath.Join(copied, "Security.evtx"), "Security", 5)
	writeLog(t, filepath.Join(copied, "tasks.evtx"), "Microsoft-Windows-TaskScheduler/Operational", 5)
	s = server(t, copied)
	if s.Kind != facts.KindEventLogs {
		t.Fatalf("kind %s", s.Kind)
	}
	if plan := (Source{}).Plan(context.Background(), s, func(string, string) {}); len(plan.Inputs) != 2 {
		t.Errorf("a copied folder of logs: %d planned, want both", len(plan.Inputs))
	}
}

// onlyReader hides a file's ReadAt, as a file inside an archive would.
type onlyReader struct{ io.Reader }

// TestReadSeekableOrNot: a log read at offsets and the same log read as a
// stream give the same records, with the record id as line, the channel
// as folder and the rendered raw line the literals select on.
func TestReadSeekableOrNot(t *testing.T) {
	data := writeLog(t, "", "Security", 3000)
	in := source.Input{Family: detect.EventLog, Path: "Security.evtx", Folder: "Security", Size: int64(len(data))}
	sel := source.Selector{Matcher: literal.NewMatcher("EventID=101\t")}
	read := func(r io.Reader) ([]int, source.Stats) {
		var lines []int
		st, err := Source{}.NewReader().Read(context.Background(), r, in, sel, func(rec *detect.LogRecord) {
			e, ok := detect.EventOf(rec)
			if !ok || e.EventID() != 101 || rec.Folder != "Security" || !strings.Contains(string(rec.Raw), "\tImage=C:\\Windows\\System32\\cmd.exe") {
				t.Fatalf("record %d: %q", rec.Line, rec.Raw)
			}
			lines = append(lines, rec.Line)
		})
		if err != nil {
			t.Fatal(err)
		}
		return lines, st
	}
	seekable, st := read(bytes.NewReader(data))
	stream, _ := read(onlyReader{bytes.NewReader(data)})
	if len(seekable) != 1000 || !slices.Equal(seekable, stream) {
		t.Errorf("%d records at offsets, %d streamed", len(seekable), len(stream))
	}
	if !st.Oldest.Equal(t0) || !st.Newest.Equal(t0.Add(2999*time.Second)) || len(st.Problems) > 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestParentByProcessID: a 4688 event without ParentProcessName (Windows
// Server 2012 R2) gets its parent from the 4688 that started the creator's
// process id, in the raw line the literals select on too; an id reused
// later names the later image.
func TestParentByProcessID(t *testing.T) {
	proc := func(at time.Time, id, creator uint64, image, cmd string) evtxwrite.Event {
		return evtxwrite.Event{Time: at, Provider: "Microsoft-Windows-Security-Auditing", EventID: 4688, Version: 1, Channel: "Security", Computer: "EX01",
			Data: []evtxwrite.Data{{Name: "SubjectUserName", Value: "EX01$"}, {Name: "NewProcessId", Value: evtxwrite.Hex64(id)},
				{Name: "NewProcessName", Value: image}, {Name: "ProcessId", Value: evtxwrite.Hex64(creator)}, {Name: "CommandLine", Value: cmd}}}
	}
	events := []evtxwrite.Event{
		proc(t0, 0x1a2c, 0x3e4, `C:\Windows\System32\inetsrv\w3wp.exe`, `w3wp.exe -ap "MSExchangeOWAAppPool"`),
		proc(t0.Add(time.Second), 0x2222, 0x1a2c, `C:\Windows\System32\cmd.exe`, `cmd /c whoami`),
		proc(t0.Add(2*time.Second), 0x1a2c, 0x3e4, `C:\Windows\System32\notepad.exe`, `notepad`),
		proc(t0.Add(3*time.Second), 0x3333, 0x1a2c, `C:\Windows\System32\cmd.exe`, `cmd /c dir`),
	}
	var buf bytes.Buffer
	if err := evtxwrite.Write(&buf, events); err != nil {
		t.Fatal(err)
	}
	in := source.Input{Family: detect.EventLog, Path: "Security.evtx", Folder: "Security", Size: int64(buf.Len())}
	parents := map[int]string{}
	_, err := Source{}.NewReader().Read(context.Background(), bytes.NewReader(buf.Bytes()), in, source.Selector{Matcher: literal.NewMatcher("w3wp", "notepad")},
		func(rec *detect.LogRecord) {
			if rec.Get("CommandLine") == "" || !strings.HasPrefix(rec.Get("CommandLine"), "cmd") {
				return
			}
			parents[rec.Line] = rec.Get("ParentProcessName") + " | " + rec.Get("ParentProcessNameFrom")
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(parents) != 2 || !strings.HasPrefix(parents[2], `C:\Windows\System32\inetsrv\w3wp.exe | the creator's process id 0x1a2c, started in record 1`) ||
		!strings.HasPrefix(parents[4], `C:\Windows\System32\notepad.exe`) {
		t.Errorf("parents %v", parents)
	}
}
