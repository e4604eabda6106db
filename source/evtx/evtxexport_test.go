package evtx

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The files in testdata/evtxexport are the first and last records of each
// sample as printed by `evtxexport -f xml` (libevtx-utils 20181227). The two
// samples libevtx cannot read (defender_1151, rdp_1149) have none.

var emptyElement = regexp.MustCompile(`<([A-Za-z0-9]+)([^<>]*)>\s*</([A-Za-z0-9]+)>`)

// normalizeXML drops blank lines and writes whitespace-only elements as empty
// elements: evtxexport trims a value that is only a newline.
func normalizeXML(s string) string {
	s = emptyElement.ReplaceAllStringFunc(s, func(m string) string {
		sub := emptyElement.FindStringSubmatch(m)
		if sub[1] != sub[3] {
			return m
		}
		return "<" + sub[1] + sub[2] + "/>"
	})
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimRight(l, " \r"))
		}
	}
	return strings.Join(lines, "\n")
}

func TestXMLAgreesWithEvtxexport(t *testing.T) {
	goldens, _ := filepath.Glob("testdata/evtxexport/*.first.xml")
	if len(goldens) == 0 {
		t.Fatal("no golden files")
	}
	for _, golden := range goldens {
		name := strings.TrimSuffix(filepath.Base(golden), ".first.xml")
		path := filepath.Join(sampleDir, name+".evtx")
		if _, err := os.Stat(path); err != nil {
			t.Skipf("%s not present", path)
		}
		var first, last string
		f := openSample(t, path)
		f.Records(func(r *Record) error {
			if first == "" {
				first = r.XML()
			}
			last = r.XML()
			return nil
		})
		for which, got := range map[string]string{"first": first, "last": last} {
			want, err := os.ReadFile(filepath.Join("testdata/evtxexport", name+"."+which+".xml"))
			if err != nil {
				t.Fatal(err)
			}
			if normalizeXML(got) != normalizeXML(string(want)) {
				t.Errorf("%s %s record differs from evtxexport:\n--- got\n%s\n--- evtxexport\n%s", name, which, got, want)
			}
		}
	}
}

func firstRecord(t *testing.T, name string) *Record {
	path := filepath.Join(sampleDir, name)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s not present", path)
	}
	var rec *Record
	f := openSample(t, path)
	f.Records(func(r *Record) error {
		if rec == nil {
			rec = r
		}
		return nil
	})
	if rec == nil {
		t.Fatalf("%s: no record", name)
	}
	return rec
}

// Values checked against evtxexport's output for the same records.
func TestRecordFields(t *testing.T) {
	t.Run("security_4756", func(t *testing.T) {
		r := firstRecord(t, "security_4756_exchange_admin_group_change.evtx")
		want := Record{RecordID: 102653291, EventID: 4756, Provider: "Microsoft-Windows-Security-Auditing", Channel: "Security", Computer: "rootdc1.offsec.lan", Level: 0,
			Time: time.Date(2021, 2, 2, 16, 20, 48, 574049500, time.UTC)}
		checkFields(t, r, want)
		if v, _ := r.Get("MemberSid"); v != "S-1-5-21-4230534742-2542757381-3142984815-1147" {
			t.Errorf("MemberSid = %q", v)
		}
		if v, _ := r.Get("SubjectLogonId"); v != "0x000000000c3b3537" {
			t.Errorf("SubjectLogonId = %q", v)
		}
	})
	t.Run("cmdletlogs", func(t *testing.T) {
		r := firstRecord(t, "msexchange_management_cmdletlogs_ev6.evtx")
		want := Record{RecordID: 7184, EventID: 6, Provider: "MSExchange CmdletLogs", Channel: "MSExchange Management", Computer: "exchange01.offsec.lan", Level: 2,
			Time: time.Date(2021, 6, 4, 8, 41, 47, 982128100, time.UTC)}
		checkFields(t, r, want)
		if len(r.Data) == 0 || len(r.Data[0].Values) != 27 {
			t.Fatalf("want one array of 27 strings, got %+v", r.Data)
		}
		vals := r.Data[0].Values
		if vals[0] != "Install-TransportAgent" || vals[1] != `-Name "Evil" -AssemblyPath ".\NetshHelperBeacon.dll" -TransportAgentFactory "hack"` || vals[26] != "en-US" {
			t.Errorf("array values %q", vals)
		}
	})
	t.Run("rdp_1149", func(t *testing.T) {
		// python-evtx and libevtx both fail on this file; checked by hand in the hex.
		r := firstRecord(t, "rdp_1149_nulltype_edgecase.evtx")
		want := Record{RecordID: 6433, EventID: 1149, Provider: "Microsoft-Windows-TerminalServices-RemoteConnectionManager",
			Channel: "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational", Computer: "rootdc1.offsec.lan", Level: 4,
			Time: time.Date(2021, 12, 16, 10, 25, 32, 351835800, time.UTC)}
		checkFields(t, r, want)
		if v, _ := r.Get("Param1"); v != "admmig" {
			t.Errorf("Param1 = %q", v)
		}
		if v, _ := r.Get("Param3"); v != "10.23.123.11" {
			t.Errorf("Param3 = %q", v)
		}
	})
}

func checkFields(t *testing.T, got *Record, want Record) {
	t.Helper()
	if got.RecordID != want.RecordID || got.EventID != want.EventID || got.Provider != want.Provider || got.Channel != want.Channel ||
		got.Computer != want.Computer || got.Level != want.Level || !got.Time.Equal(want.Time) {
		t.Errorf("got  %d %d %q %q %q %d %v\nwant %d %d %q %q %q %d %v", got.RecordID, got.EventID, got.Provider, got.Channel, got.Computer, got.Level, got.Time,
			want.RecordID, want.EventID, want.Provider, want.Channel, want.Computer, want.Level, want.Time)
	}
}

// TestAllRecordsAgainstEvtxexport compares every record with `evtxexport -f xml`
// when that tool (Debian libevtx-utils) is installed.
func TestAllRecordsAgainstEvtxexport(t *testing.T) {
	tool, err := exec.LookPath("evtxexport")
	if err != nil {
		t.Skip("evtxexport not installed")
	}
	eventRE := regexp.MustCompile(`(?s)<Event xmlns.*?</Event>\n`)
	for _, path := range samples(t) {
		out, _ := exec.Command(tool, "-f", "xml", path).Output()
		want := eventRE.FindAllString(string(out), -1)
		if len(want) == 0 {
			t.Logf("%s: evtxexport reads no record", filepath.Base(path))
			continue
		}
		var got []string
		openSample(t, path).Records(func(r *Record) error { got = append(got, r.XML()); return nil })
		if len(got) != len(want) {
			t.Errorf("%s: %d records, evtxexport %d", path, len(got), len(want))
			continue
		}
		differ := 0
		for i := range got {
			if normalizeXML(got[i]) != normalizeXML(want[i]) {
				if differ == 0 {
					t.Errorf("%s record %d differs:\n--- got\n%s\n--- evtxexport\n%s", path, i, got[i], want[i])
				}
				differ++
			}
		}
		t.Logf("%s: %d records, %d differ from evtxexport", filepath.Base(path), len(got), differ)
	}
}

func BenchmarkRecords(b *testing.B) {
	path := filepath.Join(sampleDir, "security_smb_password_guessing_3MB.evtx")
	st, err := os.Stat(path)
	if err != nil {
		b.Skip(path + " not present")
	}
	f := openSample(b, path)
	b.SetBytes(st.Size())
	for b.Loop() {
		f.Records(func(*Record) error { return nil })
	}
}
