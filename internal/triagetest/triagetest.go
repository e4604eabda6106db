// Package triagetest reads a triage archive whole, for tests that check
// what a collection wrote: its files, its manifest and its record.
package triagetest

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/triage"
)

// ReadArchive reads every file of a zip into memory, by name; folders are
// left out.
func ReadArchive(t testing.TB, path string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string][]byte{}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %s: %v", path, f.Name, err)
		}
		out[f.Name] = data
	}
	return out
}

// Manifest parses the manifest among an archive's files; an archive
// without one fails the test.
func Manifest(t testing.TB, files map[string][]byte) []triage.Entry {
	t.Helper()
	data, ok := files[triage.ManifestName]
	if !ok {
		t.Fatal("no manifest in the archive")
	}
	var out []triage.Entry
	if err := triage.ReadManifest(bytes.NewReader(data), func(e triage.Entry) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// Record parses the collection record among an archive's files.
func Record(t testing.TB, files map[string][]byte) *triage.Record {
	t.Helper()
	rec, err := triage.ReadRecord(bytes.NewReader(files[triage.RecordName]))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}
