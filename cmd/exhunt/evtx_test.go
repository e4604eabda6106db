package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/source/evtx"
	"github.com/exhunt/exhunt/source/evtx/evtxwrite"
)

const evtxSamples = "../../../shared/data/evtx"

func evtxSample(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(evtxSamples, name)
	if _, err := os.Stat(path); err != nil {
		t.Skip("../shared/data is not present")
	}
	return path
}

func TestEvtxJSONLines(t *testing.T) {
	path := evtxSample(t, "msexchange_management_cmdletlogs_ev6.evtx")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"evtx", path}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	var records int
	f, _ := os.Open(path)
	defer f.Close()
	st, _ := f.Stat()
	log, err := evtx.Open(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	log.Records(func(*evtx.Record) error { records++; return nil })
	if len(lines) != records || records == 0 {
		t.Fatalf("%d lines for %d records", len(lines), records)
	}
	var first struct {
		File     string `json:"file"`
		RecordID uint64 `json:"record_id"`
		Time     string `json:"time"`
		EventID  uint32 `json:"event_id"`
		Provider string `json:"provider"`
		Channel  string `json:"channel"`
		Computer string `json:"computer"`
		Level    int    `json:"level"`
		Data     [][]string
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	// Values as evtxexport prints the first record.
	if first.RecordID != 7184 || first.EventID != 6 || first.Provider != "MSExchange CmdletLogs" ||
		first.Channel != "MSExchange Management" || first.Computer != "exchange01.offsec.lan" || first.Level != 2 {
		t.Errorf("first record: %+v", first)
	}
	if first.Time != "2021-06-04T08:41:47.9821281Z" {
		t.Errorf("time %q", first.Time)
	}
	if _, err := time.Parse(time.RFC3339Nano, first.Time); err != nil {
		t.Errorf("time is not RFC 3339: %v", err)
	}
	var raw map[string]json.RawMessage
	json.Unmarshal([]byte(lines[0]), &raw)
	var data [][]string
	if err := json.Unmarshal(raw["data"], &data); err != nil || len(data) != 1 || data[0][0] != "Install-TransportAgent" {
		t.Errorf("data (an unnamed string array) = %s (%v)", raw["data"], err)
	}
}

func TestEvtxNamedDataIsAnObject(t *testing.T) {
	path := evtxSample(t, "sysmon_iis_webshell_w3wp_cmd.evtx")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"evtx", path}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	found := false
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var rec struct {
			EventID uint32         `json:"event_id"`
			Data    map[string]any `json:"data"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if rec.EventID == 1 && strings.HasSuffix(rec.Data["ParentImage"].(string), `\w3wp.exe`) {
			found = true
		}
	}
	if !found {
		t.Error("no Sysmon process creation with ParentImage w3wp.exe in the JSON")
	}
}

func TestEvtxXMLIsWellFormed(t *testing.T) {
	for _, name := range []string{"system_psexec_service_install.evtx", "security_4756_exchange_admin_group_change.evtx"} {
		path := evtxSample(t, name)
		var stdout, stderr bytes.Buffer
		if code := run([]string{"evtx", "--format", "xml", path}, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		dec := xml.NewDecoder(&stdout)
		events := 0
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: XML does not parse: %v", name, err)
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "Event" {
				events++
			}
		}
		if events == 0 {
			t.Errorf("%s: no Event element", name)
		}
	}
}

func TestEvtxExitStatus(t *testing.T) {
	dir := t.TempDir()
	notLog := filepath.Join(dir, "notes.evtx")
	os.WriteFile(notLog, []byte("not an event log"), 0o644)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"evtx", notLog}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "notes.evtx") {
		t.Errorf("not a log: exit %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"evtx", filepath.Join(dir, "missing.evtx")}, &stdout, &stderr); code != 2 {
		t.Errorf("missing file: exit %d", code)
	}
	if code := run([]string{"evtx", t.TempDir()}, &stdout, &stderr); code != 2 {
		t.Errorf("folder without logs: exit %d", code)
	}
	if code := run([]string{"evtx", "--format", "csv", notLog}, &stdout, &stderr); code != 2 {
		t.Errorf("unknown format: exit %d", code)
	}

	// A copy cut in the middle of a chunk: the records before the cut are
	// printed, the damage is named on stderr, and the exit status says so.
	src, err := os.ReadFile(evtxSample(t, "security_smb_password_guessing_3MB.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.evtx")
	os.WriteFile(cut, src[:4096+3*65536+30000], 0o644)
	stdout.Reset()
	stderr.Reset()
	code := run([]string{"evtx", cut}, &stdout, &stderr)
	if code != 1 || stdout.Len() == 0 || !strings.Contains(stderr.String(), "cut.evtx") {
		t.Errorf("cut copy: exit %d, %d bytes out, stderr %q", code, stdout.Len(), stderr.String())
	}
}

func TestEvtxOutputIsTerminalSafe(t *testing.T) {
	hostile := "whoami\x1b]0;owned\x07\x1b[2J\u009b31m\u202eexe.txt\xff"
	got := string(appendJSONString(nil, hostile))
	for _, bad := range []string{"\x1b", "\x07", "\u009b", "\u202e", "\xff"} {
		if strings.Contains(got, bad) {
			t.Errorf("JSON string keeps %q: %q", bad, got)
		}
	}
	var back string
	if err := json.Unmarshal([]byte(got), &back); err != nil || !strings.HasPrefix(back, "whoami\x1b]0;owned") {
		t.Errorf("JSON string does not decode back: %q %v", back, err)
	}
	x := xmlTerminalSafe("<Data>" + hostile + "\nnext</Data>")
	for _, bad := range []string{"\x1b", "\x07", "\u009b", "\u202e", "\xff"} {
		if strings.Contains(x, bad) {
			t.Errorf("XML keeps %q: %q", bad, x)
		}
	}
	if !strings.Contains(x, "&#x1B;") || !strings.Contains(x, "\nnext") {
		t.Errorf("XML escaping: %q", x)
	}
}

// TestScanEvtxOption: --evtx adds event logs of one server; it is refused
// for a case of several servers and for a path that does not exist.
func TestScanEvtxOption(t *testing.T) {
	path := evtxSample(t, "sysmon_iis_webshell_w3wp_cmd.evtx")
	drive := t.TempDir()
	os.MkdirAll(filepath.Join(drive, "Windows", "System32"), 0o755)
	var stdout, stderr bytes.Buffer
	code := run([]string{"scan", "--root", drive, "--evtx", path, "--format", "jsonl"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stdout.String(), `"rule":"evtx-webserver-shell"`) {
		t.Errorf("--evtx: exit %d, stderr %s", code, stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"scan", "--root", drive, "--evtx", filepath.Join(drive, "missing.evtx")}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "missing.evtx") {
		t.Errorf("missing --evtx: exit %d, %s", code, stderr.String())
	}
	caseDir := t.TempDir()
	for _, s := range []string{"EX01", "EX02"} {
		os.MkdirAll(filepath.Join(caseDir, s, "Windows", "System32"), 0o755)
	}
	stderr.Reset()
	if code := run([]string{"scan", "--root", caseDir, "--evtx", path}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "--evtx") {
		t.Errorf("--evtx with two servers: exit %d, %s", code, stderr.String())
	}
}

// TestEvtxJSONRepeatedNames: values whose names repeat, and an unnamed
// value beside one named "Data", all reach the JSON (as arrays), none is
// dropped.
func TestEvtxJSONRepeatedNames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.evtx")
	at := time.Date(2021, 3, 3, 4, 5, 6, 0, time.UTC)
	err := evtxwrite.WriteFile(path, []evtxwrite.Event{{Time: at, Provider: "P", EventID: 7, Channel: "Application", Computer: "EX01",
		Data: []evtxwrite.Data{{Name: "A", Value: "a1"}, {Name: "", Value: "x"}, {Name: "A", Value: "a2"}, {Name: "Data", Value: "y"}, {Name: "B", Value: "b"}}}})
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"evtx", path}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var rec struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"A": []any{"a1", "a2"}, "Data": []any{"x", "y"}, "B": "b"}
	if !reflect.DeepEqual(rec.Data, want) {
		t.Errorf("data = %v, want %v", rec.Data, want)
	}
}
