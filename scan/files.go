package scan

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/root"
)

// fileInterest is one detector's wish to see files under a place.
type fileInterest struct {
	detector detect.FileDetector
	place    detect.Place
}

// fileOutcome is what the file checks did.
type fileOutcome struct {
	inspected int
	// placed names the detectors that had at least one place to look at.
	placed map[string]bool
	// complete is false when the scan was interrupted before every file
	// was inspected.
	complete bool
}

// runFiles walks the union of the file detectors' places once, and has
// every interested detector inspect each regular file, in parallel. Files
// go to the workers as the walk finds them, so memory does not grow with
// the number of files in a drop place.
func runFiles(ctx context.Context, cfg Config, dctx *detect.Context, col *collector) fileOutcome {
	out := fileOutcome{placed: map[string]bool{}}
	var interests []fileInterest
	for _, d := range cfg.FileDetectors {
		for _, p := range d.Places(dctx) {
			interests = append(interests, fileInterest{d, p})
			out.placed[d.Name()] = true
		}
	}
	walkRoots := outermost(interests)

	type item struct {
		file      *detect.File
		detectors []detect.FileDetector
	}
	items := make(chan item, 256)
	var inspected atomic.Int64
	var wg sync.WaitGroup
	inspect := func(it item) {
		defer func() {
			if p := recover(); p != nil {
				// A defect must not take the rest of the evidence down.
				col.error(it.file.Path, 0, fmt.Sprintf("internal error while checking this file (please report it): %v", p))
			}
		}()
		for _, d := range it.detectors {
			d.InspectFile(dctx, it.file, col.add)
		}
		for _, err := range it.file.Problems() {
			col.error(it.file.Path, 0, err.Error())
		}
	}
	for w := 0; w < cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range items {
				if ctx.Err() != nil {
					continue // drain: the scan was interrupted
				}
				inspect(it)
				inspected.Add(1)
				cfg.Progress.Add(1, it.file.Info.Size())
			}
		}()
	}
	// The total is not known before the walk ends.
	cfg.Progress.Start("files", 0, 0)
	walked, queued := true, int64(0)
	fsys := dctx.Server.FS()
	for _, top := range walkRoots {
		err := root.WalkDir(fsys, top, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				col.error(p, 0, err.Error())
				if d != nil && d.IsDir() && p != top {
					return fs.SkipDir
				}
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if d.IsDir() {
				if !anyWantsBelow(interests, p) {
					return fs.SkipDir
				}
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				col.error(p, 0, "symbolic link not followed")
				return nil
			}
			if !d.Type().IsRegular() {
				col.error(p, 0, "not a regular file ("+root.TypeName(d.Type())+"); not inspected")
				return nil
			}
			var ds []detect.FileDetector
			depth := 0
			for _, in := range interests {
				if dd, ok := depthBelow(p, in.place.Dir); ok && (in.place.MaxDepth == 0 || dd <= in.place.MaxDepth) {
					if !containsDetector(ds, in.detector) {
						ds = append(ds, in.detector)
					}
					if depth == 0 || dd < depth {
						depth = dd
					}
				}
			}
			if len(ds) == 0 {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				col.error(p, 0, err.Error())
				return nil
			}
			file := detect.NewFile(fsys, p, info, depth)
			if keep := contentLimit(ds); keep > 0 {
				file = detect.NewContentFile(fsys, p, info, depth, keep)
			}
			select {
			case items <- item{file, ds}:
				queued++
			case <-ctx.Done():
				return ctx.Err()
			}
			return nil
		})
		if err != nil && ctx.Err() != nil {
			walked = false
			break
		}
	}
	close(items)
	wg.Wait()
	out.inspected = int(inspected.Load())
	out.complete = walked && ctx.Err() == nil && int64(out.inspected) == queued
	return out
}

// below reports whether p lies below dir. The system volume's top "."
// holds every plain path but not the paths of other volumes ("D:/...").
func below(p, dir string) bool {
	if dir == "." {
		_, _, other := root.SplitVolume(p)
		return p != "." && !other
	}
	return strings.HasPrefix(p, dir+"/")
}

// depthBelow is how many levels p lies below dir (1 = directly in it).
func depthBelow(p, dir string) (int, bool) {
	if !below(p, dir) {
		return 0, false
	}
	if dir == "." {
		return strings.Count(p, "/") + 1, true
	}
	return strings.Count(p[len(dir)+1:], "/") + 1, true
}

// anyWantsBelow reports whether some detector wants files below directory
// p, so the walk can skip the rest (the drive's top is a place of depth 1,
// and walking a whole drive for it would be absurd).
func anyWantsBelow(interests []fileInterest, p string) bool {
	for _, in := range interests {
		d := in.place.Dir
		if p == d || below(p, d) {
			if depth, _ := depthBelow(p+"/x", d); in.place.MaxDepth == 0 || depth <= in.place.MaxDepth {
				return true
			}
		}
		if below(d, p) {
			return true // on the way down to a place
		}
	}
	return false
}

func containsDetector(ds []detect.FileDetector, d detect.FileDetector) bool {
	for _, x := range ds {
		if x.Name() == d.Name() {
			return true
		}
	}
	return false
}

// outermost returns the places to walk: each place once, and none that lies
// inside another.
func outermost(interests []fileInterest) []string {
	dirs := map[string]bool{}
	for _, in := range interests {
		dirs[in.place.Dir] = true
	}
	var sorted []string
	for d := range dirs {
		sorted = append(sorted, d)
	}
	sort.Strings(sorted)
	var out []string
	for _, d := range sorted {
		inside := false
		for _, o := range out {
			if below(d, o) {
				inside = true
				break
			}
		}
		if !inside {
			out = append(out, d)
		}
	}
	return out
}

// contentLimit is the size up to which a file's content stays in memory
// after its read: the largest limit of the detectors that read content.
func contentLimit(ds []detect.FileDetector) int64 {
	var keep int64
	for _, d := range ds {
		if c, ok := d.(detect.ContentWanter); ok {
			keep = max(keep, c.ContentLimit())
		}
	}
	return keep
}
