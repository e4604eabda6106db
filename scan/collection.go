package scan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/root"
	"github.com/exhunt/exhunt/triage"
)

// collectionRecord is what a triage collection says of itself, or why its
// record could not be read, and what its manifest says was out of reach.
type collectionRecord struct {
	rec *triage.Record
	err error
	// dir is the folder of the record in the root.
	dir string
	// mismatch is set when the collection does not hold what its
	// manifest lists, or the manifest cannot be read or trusted.
	mismatch bool
	// problems are the manifest's files that failed or were read in
	// part, and its disagreements with what the collection holds.
	problems []collectionProblem
}

type collectionProblem struct {
	path, msg string
}

// readCollection reads the collector's record in dir of fsys: nil when
// dir holds no collection.
func readCollection(fsys fs.FS, dir string) *collectionRecord {
	name := path.Join(dir, triage.RecordName)
	f, err := fsys.Open(name)
	if err != nil {
		// A collection whose record is missing was cut short; a copy
		// without a start record or a manifest of ours is no collection
		// at all (manifest.csv is a common name).
		if _, err := fs.Stat(fsys, path.Join(dir, triage.StartName)); err == nil {
			return &collectionRecord{dir: dir, err: fmt.Errorf("%s is missing beside %s: the collection was cut short before it ended", triage.RecordName, triage.StartName)}
		}
		if isManifest(fsys, path.Join(dir, triage.ManifestName)) {
			return &collectionRecord{dir: dir, err: fmt.Errorf("%s is missing beside %s: the collection was cut short before it ended", triage.RecordName, triage.ManifestName)}
		}
		return nil
	}
	defer f.Close()
	rec, err := triage.ReadRecord(f)
	if err != nil {
		return &collectionRecord{dir: dir, err: fmt.Errorf("%s: %w", triage.RecordName, err)}
	}
	return &collectionRecord{rec: rec, dir: dir}
}

// sourceFolder is the folder of the collection, below the drive folder
// driveDir, that holds a copy of part of a drive, as its record names it;
// "" when the collection is of whole drives, or the record names no
// folder of the collection (a hostile record names nothing outside it).
func (c *collectionRecord) sourceFolder(fsys fs.FS, driveDir string) string {
	if c == nil || c.rec == nil || !fs.ValidPath(c.rec.SourceFolder) || driveDir == "." {
		return ""
	}
	dir := path.Join(c.dir, c.rec.SourceFolder)
	if !fs.ValidPath(dir) || !strings.HasPrefix(dir, driveDir+"/") {
		return ""
	}
	if st, err := fs.Stat(fsys, dir); err != nil || !st.IsDir() {
		return ""
	}
	return dir
}

// isManifest tells a triage manifest from any other manifest.csv by its
// header row.
func isManifest(fsys fs.FS, name string) bool {
	f, err := fsys.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	return triage.IsManifest(f)
}

// maxCollectionProblems bounds the manifest's problems listed one by one.
const maxCollectionProblems = 1000

// check reads the collection's manifest: its hash must be the record's,
// every file it says was taken must be there with its size, and the files
// that failed or were read in part become problems of the scan, so that
// evidence out of reach when the collection was made still counts as out
// of reach. name maps a path of the manifest to the scan's name.
func (c *collectionRecord) check(fsys fs.FS, name func(string) string) {
	if c == nil || c.rec == nil {
		return
	}
	add := func(p, msg string) {
		if len(c.problems) < maxCollectionProblems {
			c.problems = append(c.problems, collectionProblem{p, msg})
		}
	}
	f, err := fsys.Open(path.Join(c.dir, triage.ManifestName))
	if err != nil {
		c.mismatch = true
		add(".", "the collection's manifest cannot be read: "+err.Error())
		return
	}
	defer f.Close()
	h := sha256.New()
	missing := 0
	err = triage.ReadManifest(io.TeeReader(f, h), func(e triage.Entry) error {
		p := path.Join(c.dir, e.Path)
		switch e.Status {
		case triage.Failed:
			add(name(p), "not in the collection: it could not be read when the collection was made ("+e.Note+")")
		case triage.Partial:
			add(name(p), "in the collection only in part: "+e.Note)
		case triage.Collected:
			st, err := fs.Stat(fsys, p)
			if err != nil || !st.Mode().IsRegular() || st.Size() != e.Size {
				if missing++; missing <= 20 {
					add(name(p), fmt.Sprintf("the manifest lists it (%d bytes) but the collection does not hold it as such", e.Size))
				}
			}
		}
		return nil
	})
	if err != nil {
		c.mismatch = true
		add(".", "the collection's manifest: "+err.Error())
		return
	}
	if sum := hex.EncodeToString(h.Sum(nil)); c.rec.ManifestSHA256 != "" && sum != c.rec.ManifestSHA256 {
		c.mismatch = true
		add(".", "the collection's manifest does not have the hash its record gives: it was changed after the collection")
	}
	if missing > 0 {
		c.mismatch = true
	}
	if missing > 20 {
		add(".", fmt.Sprintf("%d files the manifest lists are missing from the collection or differ in size", missing))
	}
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
	case c.mismatch:
		return "it does not hold what its manifest lists, or its manifest cannot be trusted"
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
	// In an archive of several servers, each is told of the entries of
	// its own folder and of those that belong to no server.
	others := func(name string) bool {
		for _, o := range t.archiveOthers {
			if o == "." || name == o || strings.HasPrefix(name, o+"/") {
				return true
			}
		}
		return false
	}
	for _, p := range t.archive.Problems() {
		name := strings.ReplaceAll(p.Name, `\`, "/")
		if _, mine := t.driveName(name); !mine && others(name) {
			continue
		}
		add(t.archiveName(name), "in the archive "+t.archive.Path()+": "+p.Err.Error())
	}
	if n := t.archive.DOSTimes(); n > 0 {
		add(".", fmt.Sprintf("%d file(s) of the archive carry only DOS times (the local time of the machine that made the zip, in 2-second steps): their modification times may be off by its time zone", n))
	}
}

// driveName maps a name of the whole root to the scan's name when it lies
// on one of the server's drive folders.
func (t target) driveName(name string) (string, bool) {
	if rel, ok := strings.CutPrefix(name, t.archiveSystem+"/"); ok && t.archiveSystem != "." {
		return rel, true
	}
	for l, dir := range t.archiveVolumes {
		if rel, ok := strings.CutPrefix(name, dir+"/"); ok {
			return root.VolumePath(l, rel), true
		}
	}
	return name, false
}

// archiveName maps a name of the whole archive to the scan's name.
func (t target) archiveName(name string) string {
	n, _ := t.driveName(name)
	return n
}
