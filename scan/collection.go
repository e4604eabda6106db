package scan

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/root"
	"github.com/exhunt/exhunt/triage"
)

// collectionRecord is what a triage collection says of itself, or why its
// record could not be read.
type collectionRecord struct {
	rec *triage.Record
	err error
}

// readCollection reads the collector's record in dir of fsys, if there is
// one: nil when the folder is no collection.
func readCollection(fsys fs.FS, dir string) *collectionRecord {
	if c := readCollectionIn(fsys, dir); c != nil || dir == "." {
		return c
	}
	// A copy of part of a drive lies in the drive's folder, beside the
	// record.
	return readCollectionIn(fsys, path.Dir(dir))
}

func readCollectionIn(fsys fs.FS, dir string) *collectionRecord {
	name := path.Join(dir, triage.RecordName)
	f, err := fsys.Open(name)
	if err != nil {
		// A collection whose record is missing was interrupted; a copy
		// without a manifest is no collection at all.
		if _, merr := fs.Stat(fsys, path.Join(dir, triage.ManifestName)); merr == nil {
			return &collectionRecord{err: fmt.Errorf("%s is missing beside %s: the collection was interrupted before it ended", triage.RecordName, triage.ManifestName)}
		}
		return nil
	}
	defer f.Close()
	rec, err := triage.ReadRecord(f)
	if err != nil {
		return &collectionRecord{err: fmt.Errorf("%s: %w", triage.RecordName, err)}
	}
	return &collectionRecord{rec: rec}
}

// summary is the collection as the result shows it.
func (c *collectionRecord) summary() *result.Collection {
	if c == nil {
		return nil
	}
	if c.rec == nil {
		return &result.Collection{Complete: false, Problem: c.err.Error()}
	}
	r := c.rec
	out := &result.Collection{
		Tool: r.Tool.Name + " " + r.Tool.Version, Host: r.Host, Source: r.Source, User: r.User,
		Started: r.Started, Ended: r.Ended, Complete: r.Complete, Interrupted: r.Interrupted,
		Files: r.Counts.Files, Bytes: r.Counts.Bytes, Skipped: r.Counts.Skipped, SkippedBytes: r.Counts.SkippedBytes,
		Failed: r.Counts.Failed, Partial: r.Counts.Partial, ManifestSHA256: r.ManifestSHA256,
	}
	if r.Since != nil {
		t := *r.Since
		out.Since = &t
	}
	for _, s := range r.Skipped {
		out.SkippedWhy = append(out.SkippedWhy, fmt.Sprintf("%s: %d file(s), %d bytes", s.Reason, s.Files, s.Bytes))
	}
	return out
}

// incomplete says why a collection does not hold all it was meant to, or
// "" when it does.
func (c *collectionRecord) incomplete() string {
	switch {
	case c == nil:
		return ""
	case c.rec == nil:
		return c.err.Error()
	case !c.rec.Complete:
		why := "the collection record says it did not end"
		if c.rec.Interrupted != "" {
			why += " (" + c.rec.Interrupted + ")"
		}
		return why
	}
	return ""
}

// archiveErrors turns the entries a zip root left out into the server's
// errors, named as the scan names paths: relative to the system drive,
// or "D:/…" on another drive.
func archiveErrors(t target, add func(path, msg string)) {
	if t.archive == nil {
		return
	}
	for _, p := range t.archive.Problems() {
		add(t.archiveName(p.Name), "in the archive "+t.archive.Path()+": "+p.Err.Error())
	}
	if n := t.archive.DOSTimes(); n > 0 {
		add(".", fmt.Sprintf("%d file(s) of the archive carry only DOS times (the local time of the machine that made the zip, in 2-second steps): their modification times may be off by its time zone", n))
	}
}

// archiveName maps a name of the whole archive to the scan's name.
func (t target) archiveName(name string) string {
	if rel, ok := strings.CutPrefix(name, t.archiveSystem+"/"); ok && t.archiveSystem != "." {
		return rel
	}
	for l, dir := range t.archiveVolumes {
		if rel, ok := strings.CutPrefix(name, dir+"/"); ok {
			return root.VolumePath(l, rel)
		}
	}
	return name
}
