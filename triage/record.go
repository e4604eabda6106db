package triage

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Record is collection.json: the record of who collected what and how.
type Record struct {
	Format        string `json:"format"`
	FormatVersion int    `json:"format_version"`
	Tool          Tool   `json:"tool"`
	// Host is the server's name as the collector learned it (the live
	// computer name, or the copy's registry), empty when unknown.
	Host        string   `json:"host,omitempty"`
	CommandLine []string `json:"command_line,omitempty"`
	// User is the account that ran the collection.
	User string `json:"user,omitempty"`
	// Collector is the machine the collection ran on (for a copy, not
	// the server).
	Collector string `json:"collector,omitempty"`
	// ExchangeBuild is the Exchange build the server runs (ExSetup.exe's
	// file version, else the registry's), and where it was read.
	ExchangeBuild       string `json:"exchange_build,omitempty"`
	ExchangeBuildSource string `json:"exchange_build_source,omitempty"`
	// ExchangeDir is Exchange's folder in the collection ("D/Apps/Exch")
	// when the collection was told where it is (--exchange-dir): a scan
	// of the collection is told the same.
	ExchangeDir string `json:"exchange_dir,omitempty"`
	// Source says what was collected: "live" or the folder of the copy.
	Source string `json:"source"`
	// SourceFolder is the archive's folder that holds the copy collected
	// when that copy was only part of a drive (a log folder, the V15
	// folder: "C/Program Files/Microsoft/Exchange Server/V15"). A scan of
	// the collection scans that folder, as the collection's own scan did,
	// and claims nothing of the drive around it, which was never copied.
	SourceFolder string    `json:"source_folder,omitempty"`
	Volumes      []Volume  `json:"volumes,omitempty"`
	Started      time.Time `json:"started"`
	Ended        time.Time `json:"ended"`
	// Complete is true only when every planned file was dealt with (taken,
	// or skipped and listed); an interrupted collection says why not.
	Complete    bool   `json:"complete"`
	Interrupted string `json:"interrupted,omitempty"`
	// Since, when set, left out logs last written before it.
	Since  *time.Time `json:"since,omitempty"`
	Limits Limits     `json:"limits"`
	Counts Counts     `json:"counts"`
	// Skipped sums up what was left out, by reason.
	Skipped []SkipSummary `json:"skipped,omitempty"`
	// ManifestSHA256 is the hash of manifest.csv as written.
	ManifestSHA256 string `json:"manifest_sha256"`
	// Scan is what the scan run during the collection found, so the
	// record says why the suspicious files were taken.
	Scan *ScanSummary `json:"scan,omitempty"`
	// Notes are things the reader of the collection must know (what a
	// platform could not collect, and why).
	Notes []string `json:"notes,omitempty"`
}

// Tool names the collector.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Volume is a drive of the server and where it was read from.
type Volume struct {
	Letter string `json:"letter"`
	Source string `json:"source"`
}

// Limits are the size limits the collection ran with; 0 = none.
type Limits struct {
	MaxFileSize  int64 `json:"max_file_size,omitempty"`
	MaxTotalSize int64 `json:"max_total_size,omitempty"`
}

// Counts sum up the manifest.
type Counts struct {
	Files        int   `json:"files"`
	Bytes        int64 `json:"bytes"`
	Partial      int   `json:"partial,omitempty"`
	Skipped      int   `json:"skipped,omitempty"`
	SkippedBytes int64 `json:"skipped_bytes,omitempty"`
	Failed       int   `json:"failed,omitempty"`
	Folders      int   `json:"folders,omitempty"`
}

// SkipSummary is what one reason left out.
type SkipSummary struct {
	Reason string `json:"reason"`
	Files  int    `json:"files"`
	Bytes  int64  `json:"bytes"`
}

// ScanSummary is the outcome of the scan made while collecting.
type ScanSummary struct {
	Verdict  string `json:"verdict"`
	Findings int    `json:"findings"`
	// Flagged are the files the scan's findings name; FlaggedNotTaken
	// those of them a limit or an error kept out of the collection.
	Flagged         int `json:"flagged_files"`
	FlaggedNotTaken int `json:"flagged_files_not_taken,omitempty"`
}

// ErrRecord marks a collection.json that is not an exhunt record.
var ErrRecord = errors.New("not an exhunt collection record")

// maxRecordSize bounds the record a reader accepts: a real one is a few
// kilobytes.
const maxRecordSize = 4 << 20

// ReadRecord reads collection.json.
func ReadRecord(r io.Reader) (*Record, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxRecordSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxRecordSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrRecord, maxRecordSize)
	}
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRecord, err)
	}
	if rec.Format != Format {
		return nil, fmt.Errorf("%w: format %q", ErrRecord, rec.Format)
	}
	return &rec, nil
}

// WriteRecord writes the record as indented JSON.
func WriteRecord(w io.Writer, rec *Record) error {
	rec.Format, rec.FormatVersion = Format, FormatVersion
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rec)
}
