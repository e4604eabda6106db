package evtx

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRecordsOfSamples(t *testing.T) {
	for _, path := range samples(t) {
		f := openSample(t, path)
		var announced, decoded uint64
		for _, c := range f.Chunks() {
			_, h, _, err := c.Read()
			if err != nil {
				t.Errorf("%s: %v", path, err)
				continue
			}
			announced += h.AnnouncedRecords()
			var last uint64
			problems := c.Records(func(r *Record) error {
				decoded++
				if r.HeaderID <= last {
					t.Errorf("%s chunk %d: record id %d after %d", path, c.Index, r.HeaderID, last)
				}
				if r.HeaderID < h.FirstRecordID || r.HeaderID > h.LastRecordID {
					t.Errorf("%s chunk %d: record id %d outside the chunk's %d-%d", path, c.Index, r.HeaderID, h.FirstRecordID, h.LastRecordID)
				}
				last = r.HeaderID
				if r.Time.Before(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) || r.Time.After(time.Now().Add(24*time.Hour)) {
					t.Errorf("%s record %d: time %v", path, r.RecordID, r.Time)
				}
				if r.EventID == 0 && r.Provider == "" {
					t.Errorf("%s record %d: no event id nor provider:\n%s", path, r.RecordID, r.XML())
				}
				// XML() decodes the record again, with names the first
				// decoding already cached.
				if x := r.XML(); !strings.Contains(x, "<Event") {
					t.Errorf("%s record %d: XML() = %q", path, r.RecordID, x)
				}
				return nil
			})
			for _, p := range problems {
				t.Errorf("%s: %v", path, p)
			}
		}
		if decoded != announced {
			t.Errorf("%s: %d records decoded, chunk headers announce %d", path, decoded, announced)
		}
		t.Logf("%s: %d records", filepath.Base(path), decoded)
	}
}
