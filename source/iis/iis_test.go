package iis

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/root"
	"github.com/exhunt/exhunt/source"
	"github.com/exhunt/exhunt/source/literal"
)

const header = "#Software: Microsoft Internet Information Services 10.0\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n"

func write(t *testing.T, dir, rel, text string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
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

// TestPlanAndRead: the site logs of a system drive are planned with their
// site folder (a log renamed on copy is recognised by its header, another
// .log is not), and read through the tap and the literals alike.
func TestPlanAndRead(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "Windows/System32"), 0o755)
	line := func(stem, ip string) string {
		return "2021-03-03 07:00:00 10.0.0.5 GET " + stem + " - 443 - " + ip + " Mozilla/5.0 - 200 0 0 5\n"
	}
	write(t, dir, "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log", header+line("/owa/", "10.0.0.1")+line("/ecp/y.js", "10.0.0.2")+line("/owa/", "5.254.43.18"))
	write(t, dir, "inetpub/logs/LogFiles/W3SVC2/copied-from-ex01.log", header+line("/ecp/", "10.0.0.3"))
	write(t, dir, "inetpub/logs/LogFiles/W3SVC2/notes.log", "not a log of IIS\n")

	s := server(t, dir)
	var problems []string
	plan := Source{}.Plan(context.Background(), s, func(p, msg string) { problems = append(problems, p+": "+msg) })
	var got []string
	for _, in := range plan.Inputs {
		got = append(got, in.Folder+" "+in.Path)
	}
	sort.Strings(got)
	want := "W3SVC1 inetpub/logs/LogFiles/W3SVC1/u_ex210303.log,W3SVC2 inetpub/logs/LogFiles/W3SVC2/copied-from-ex01.log"
	if strings.Join(got, ",") != want || len(plan.Missing) != 0 || len(problems) != 0 {
		t.Fatalf("plan %v, missing %v, problems %v", got, plan.Missing, problems)
	}

	var first source.Input
	for _, in := range plan.Inputs {
		if in.Folder == "W3SVC1" {
			first = in
		}
	}
	f, err := s.FS().Open(first.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sel := source.Selector{Matcher: literal.NewMatcher("/ecp/y.js"), Clients: func(a []byte) bool { return string(a) == "5.254.43.18" }}
	var lines []string
	st, err := Source{}.NewReader().Read(context.Background(), f, first, sel, func(r *detect.LogRecord) {
		lines = append(lines, r.Get("c-ip")+"@"+strings.TrimSpace(string(rune('0'+r.Line))))
	})
	if err != nil || strings.Join(lines, " ") != "10.0.0.2@4 5.254.43.18@5" || st.Oldest.IsZero() {
		t.Errorf("read %v (err %v, oldest %v)", lines, err, st.Oldest)
	}
}

// TestMissing: a system drive without IIS logs names the family as missing
// with where the logs were looked for.
func TestMissing(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "Windows/System32"), 0o755)
	plan := Source{}.Plan(context.Background(), server(t, dir), func(string, string) {})
	if len(plan.Inputs) != 0 || len(plan.Missing) != 1 || plan.Missing[0].Family != detect.IIS || !strings.Contains(plan.Missing[0].Why, "no IIS log folder") {
		t.Errorf("plan %+v", plan)
	}
}
