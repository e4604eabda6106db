package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// evidenceTime is an mtime no test run could produce by writing.
var evidenceTime = time.Date(2021, 3, 3, 4, 5, 6, 0, time.UTC)

// caseDirs makes a scan root holding an evidence file and a sub-folder, and
// a folder outside it for reports.
func caseDirs(t *testing.T) (root, evidence, outside string) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "EX01")
	outside = filepath.Join(base, "reports")
	for _, d := range []string{filepath.Join(root, "sub"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	evidence = filepath.Join(root, "sub", "HttpProxy.log")
	writeAged(t, evidence, "#Software: Microsoft Exchange Server\nevidence\n")
	return root, evidence, outside
}

func writeAged(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, evidenceTime, evidenceTime); err != nil {
		t.Fatal(err)
	}
}

// snapshot lists every entry under dir with its size, mode and mtime.
func snapshot(t *testing.T, dir string) []string {
	t.Helper()
	var s []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		mt := fi.ModTime().UnixNano()
		if fi.IsDir() {
			mt = 0 // a folder's mtime changes when an entry is added: compared by the listing
		}
		s = append(s, strings.Join([]string{p, fi.Mode().String(), strconv.FormatInt(fi.Size(), 10), strconv.FormatInt(mt, 10)}, " "))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// refused opens out, wants a refusal mentioning want, and checks that the
// evidence file and the whole root are as before.
func refused(t *testing.T, out string, roots []string, evidence, want string) {
	t.Helper()
	before := snapshot(t, roots[0])
	content, _ := os.ReadFile(evidence)
	rf, err := openReportFile(out, roots)
	if err == nil {
		rf.Write([]byte("REPORT\n"))
		rf.Commit()
		t.Fatalf("--out %s accepted with roots %q", out, roots)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "--out "+out+": ") || !strings.Contains(msg, want) {
		t.Errorf("message %q: want the prefix %q and %q", msg, "--out "+out+": ", want)
	}
	assertEvidence(t, evidence, string(content))
	if after := snapshot(t, roots[0]); !slices.Equal(before, after) {
		t.Errorf("the root changed:\nbefore %q\nafter  %q", before, after)
	}
}

func assertEvidence(t *testing.T, evidence, content string) {
	t.Helper()
	fi, err := os.Lstat(evidence)
	if err != nil {
		t.Fatalf("evidence: %v", err)
	}
	if !fi.ModTime().Equal(evidenceTime) {
		t.Errorf("evidence mtime changed: %v", fi.ModTime())
	}
	if data, _ := os.ReadFile(evidence); string(data) != content {
		t.Errorf("evidence content changed: %q", data)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		if runtime.GOOS == "windows" {
			t.Skipf("symlinks need a privilege here: %v", err)
		}
		t.Fatal(err)
	}
}

func TestReportDanglingSymlinkIntoRoot(t *testing.T) {
	root, evidence, outside := caseDirs(t)
	link := filepath.Join(outside, "report.json")
	symlink(t, filepath.Join(root, "sub", "new.log"), link)
	refused(t, link, []string{root}, evidence, "symbolic link")
	refused(t, link, []string{root}, evidence, "inside the scanned root")
	if _, err := os.Lstat(filepath.Join(root, "sub", "new.log")); err == nil {
		t.Error("the dangling link's target was created")
	}
	// A relative dangling link, through a second link.
	link2 := filepath.Join(outside, "r2.json")
	symlink(t, filepath.Join("..", "EX01", "sub", "other.log"), filepath.Join(outside, "hop"))
	symlink(t, "hop", link2)
	refused(t, link2, []string{root}, evidence, "inside the scanned root")
}

func TestReportSymlinkToEvidence(t *testing.T) {
	root, evidence, outside := caseDirs(t)
	link := filepath.Join(outside, "report.json")
	symlink(t, evidence, link)
	refused(t, link, []string{root}, evidence, "symbolic link to "+evidence)
}

func TestReportSymlinkOutsideRootRefused(t *testing.T) {
	root, evidence, outside := caseDirs(t)
	plain := filepath.Join(outside, "plain.txt")
	writeAged(t, plain, "x")
	link := filepath.Join(outside, "report.json")
	symlink(t, plain, link)
	refused(t, link, []string{root}, evidence, "symbolic link")
	if data, _ := os.ReadFile(plain); string(data) != "x" {
		t.Errorf("the link's target was written: %q", data)
	}
}

func TestReportHardLinkToEvidence(t *testing.T) {
	root, evidence, outside := caseDirs(t)
	link := filepath.Join(outside, "report.json")
	if err := os.Link(evidence, link); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	refused(t, link, []string{root}, evidence, "2 hard links")
}

func TestReportSymlinkedParentIntoRoot(t *testing.T) {
	root, evidence, outside := caseDirs(t)
	dirLink := filepath.Join(outside, "case")
	symlink(t, filepath.Join(root, "sub"), dirLink)
	refused(t, filepath.Join(dirLink, "report.json"), []string{root}, evidence, "inside the scanned root")
	refused(t, filepath.Join(dirLink, "HttpProxy.log"), []string{root}, evidence, "inside the scanned root")
	// A link to the folder of the links.
	symlink(t, outside, filepath.Join(outside, "again"))
	refused(t, filepath.Join(outside, "again", "case", "x.txt"), []string{root}, evidence, "inside the scanned root")
}

func TestReportDotDotTricks(t *testing.T) {
	root, evidence, outside := caseDirs(t)
	sep := string(filepath.Separator)
	// The plain ways into the root.
	refused(t, outside+sep+".."+sep+"EX01"+sep+"report.json", []string{root}, evidence, "inside the scanned root")
	refused(t, outside+sep+".."+sep+"EX01"+sep+"sub"+sep+"."+sep+"HttpProxy.log", []string{root}, evidence, "inside the scanned root")
	refused(t, root+sep+sep+"x"+sep+".."+sep+"report.json", []string{root}, evidence, "inside the scanned root")
	// "link/.." is the link target's parent, not outside: EX01/report.json.
	symlink(t, filepath.Join(root, "sub"), filepath.Join(outside, "case"))
	refused(t, outside+sep+"case"+sep+".."+sep+"report.json", []string{root}, evidence, "inside the scanned root")
	// Relative to the working folder.
	t.Chdir(outside)
	refused(t, "case"+sep+".."+sep+"report.json", []string{root}, evidence, "inside the scanned root")
	refused(t, ".."+sep+"EX01"+sep+"report.json", []string{root}, evidence, "inside the scanned root")

	// Out of the root by "..": allowed.
	ok := root + sep + ".." + sep + "reports" + sep + "report.json"
	rf, err := openReportFile(ok, []string{root})
	if err != nil {
		t.Fatal(err)
	}
	rf.Write([]byte("r"))
	if err := rf.Commit(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(outside, "report.json")); string(data) != "r" {
		t.Errorf("report = %q", data)
	}
	assertEvidence(t, evidence, "#Software: Microsoft Exchange Server\nevidence\n")
}

func TestReportRelativeRoot(t *testing.T) {
	root, evidence, outside := caseDirs(t)
	t.Chdir(filepath.Dir(root))
	rel := "EX01"
	refused(t, filepath.Join(root, "report.json"), []string{rel}, evidence, "inside the scanned root EX01")
	refused(t, filepath.Join("reports", "..", "EX01", "sub", "new.txt"), []string{"." + string(filepath.Separator) + rel}, evidence, "inside the scanned root")
	// A root given through a link.
	symlink(t, root, filepath.Join(outside, "root-link"))
	refused(t, filepath.Join(root, "sub", "x"), []string{filepath.Join("reports", "root-link")}, evidence, "inside the scanned root")
}

func TestReportSeveralRoots(t *testing.T) {
	root, evidence, outside := caseDirs(t)
	root2 := filepath.Join(filepath.Dir(root), "EX02")
	if err := os.Mkdir(root2, 0o755); err != nil {
		t.Fatal(err)
	}
	roots := []string{root, root2}
	refused(t, filepath.Join(root2, "report.json"), roots, evidence, "inside the scanned root "+root2)
	refused(t, filepath.Join(root, "report.json"), roots, evidence, "inside the scanned root "+root)
	if _, err := os.Lstat(filepath.Join(root2, "report.json")); err == nil {
		t.Error("a report was created in the second root")
	}
	rf, err := openReportFile(filepath.Join(outside, "r.txt"), roots)
	if err != nil {
		t.Fatal(err)
	}
	rf.Abort()
}

func TestReportOverwriteOnlyOnCommit(t *testing.T) {
	root, evidence, outside := caseDirs(t)
	out := filepath.Join(outside, "report.txt")
	writeAged(t, out, "old report\n")

	// Abort: the old report stays as it was and no temporary file is left.
	rf, err := openReportFile(out, []string{root})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rf.Write([]byte("new report\n")); err != nil {
		t.Fatal(err)
	}
	rf.Abort()
	assertEvidence(t, out, "old report\n")
	if names := dirNames(t, outside); !slices.Equal(names, []string{"report.txt"}) {
		t.Errorf("after Abort the folder holds %q", names)
	}

	// Commit: replaced, and not before.
	rf, err = openReportFile(out, []string{root})
	if err != nil {
		t.Fatal(err)
	}
	rf.Write([]byte("new report\n"))
	assertEvidence(t, out, "old report\n")
	if err := rf.Commit(); err != nil {
		t.Fatal(err)
	}
	rf.Abort() // a no-op after Commit
	if data, _ := os.ReadFile(out); string(data) != "new report\n" {
		t.Errorf("after Commit: %q", data)
	}
	if names := dirNames(t, outside); !slices.Equal(names, []string{"report.txt"}) {
		t.Errorf("after Commit the folder holds %q", names)
	}
	assertEvidence(t, evidence, "#Software: Microsoft Exchange Server\nevidence\n")
}

func TestReportOverwriteTargetReplacedMeanwhile(t *testing.T) {
	_, _, outside := caseDirs(t)
	out := filepath.Join(outside, "report.txt")
	writeAged(t, out, "old report\n")
	rf, err := openReportFile(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	rf.Write([]byte("new"))
	// Someone puts a hard link to evidence at the path during the scan.
	other := filepath.Join(outside, "evidence.log")
	writeAged(t, other, "evidence")
	os.Remove(out)
	if err := os.Link(other, out); err != nil {
		rf.Abort()
		t.Skipf("no hard links here: %v", err)
	}
	if err := rf.Commit(); err == nil {
		t.Fatal("Commit replaced a file that changed during the scan")
	}
	assertEvidence(t, other, "evidence")
	if names := dirNames(t, outside); !slices.Equal(names, []string{"evidence.log", "report.txt"}) {
		t.Errorf("the folder holds %q", names)
	}
}

func TestReportNewFile(t *testing.T) {
	root, evidence, outside := caseDirs(t)
	out := filepath.Join(outside, "new.json")
	rf, err := openReportFile(out, []string{root})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(out); err != nil {
		t.Errorf("the report is created at once (so a second run cannot take the name): %v", err)
	}
	rf.Write([]byte("{}\n"))
	if err := rf.Commit(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(out); string(data) != "{}\n" {
		t.Errorf("report = %q", data)
	}
	if _, err := rf.Write([]byte("late")); err == nil {
		t.Error("Write after Commit succeeded")
	}

	// Abort removes the new file.
	out2 := filepath.Join(outside, "aborted.json")
	rf, err = openReportFile(out2, []string{root})
	if err != nil {
		t.Fatal(err)
	}
	rf.Write([]byte("partial"))
	rf.Abort()
	if _, err := os.Lstat(out2); err == nil {
		t.Error("Abort left the new report")
	}

	// No root (a live system): created as well; relative name.
	t.Chdir(outside)
	rf, err = openReportFile("rel.txt", nil)
	if err != nil {
		t.Fatal(err)
	}
	rf.Commit()
	if _, err := os.Lstat(filepath.Join(outside, "rel.txt")); err != nil {
		t.Error(err)
	}
	assertEvidence(t, evidence, "#Software: Microsoft Exchange Server\nevidence\n")
}

func TestReportFIFORefusedWithoutBlocking(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no FIFOs on Windows")
	}
	root, evidence, outside := caseDirs(t)
	fifo := filepath.Join(outside, "report.json")
	if err := mkfifo(fifo); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		rf, err := openReportFile(fifo, []string{root})
		if err == nil {
			rf.Abort()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "named pipe") {
			t.Errorf("FIFO: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("opening --out blocked on a FIFO")
	}
	refused(t, fifo, []string{root}, evidence, "named pipe")
}

func TestReportNotAFile(t *testing.T) {
	root, evidence, outside := caseDirs(t)
	refused(t, outside, []string{root}, evidence, "is a folder")
	refused(t, outside+string(filepath.Separator), []string{root}, evidence, "names a folder")
	refused(t, filepath.Join(outside, "missing", "report.json"), []string{root}, evidence, "does not exist; create it first")
	file := filepath.Join(outside, "file")
	writeAged(t, file, "f")
	refused(t, filepath.Join(file, "report.json"), []string{root}, evidence, "is not a folder")
	refused(t, root, []string{root}, evidence, "a folder")
}

func TestResolvePath(t *testing.T) {
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a := filepath.Join(base, "a", "b")
	if err := os.MkdirAll(a, 0o755); err != nil {
		t.Fatal(err)
	}
	symlink(t, a, filepath.Join(base, "l"))
	symlink(t, "l", filepath.Join(base, "l2"))
	symlink(t, filepath.Join("nowhere", "x"), filepath.Join(base, "dangling"))
	symlink(t, "loop", filepath.Join(base, "loop"))
	sep := string(filepath.Separator)
	for in, want := range map[string]string{
		base + sep + "l": a,
		base + sep + "l2" + sep + ".." + sep + "c": filepath.Join(base, "a", "c"),
		base + sep + "dangling":                    filepath.Join(base, "nowhere", "x"),
		base + sep + "new" + sep + "file":          filepath.Join(base, "new", "file"),
	} {
		if got, err := resolvePath(in); err != nil || got != want {
			t.Errorf("resolvePath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := resolvePath(filepath.Join(base, "loop")); err == nil {
		t.Error("a symlink loop resolved")
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}
