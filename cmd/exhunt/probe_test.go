package main

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/exhunt/exhunt/builds"
	"github.com/exhunt/exhunt/internal/exchangemock"
)

// exhunt probe --active over the whole mock fleet (TLS, self-signed, so
// --insecure), in every output format: each kind classified right, exit 1
// for the vulnerable ones, the warning that the targets log the request.
func TestEndToEndProbe(t *testing.T) {
	kinds := exchangemock.Fleet()
	byTarget := map[string]exchangemock.Kind{}
	var targets []string
	for _, k := range kinds {
		srv := httptest.NewTLSServer(k.Server)
		defer srv.Close()
		byTarget[srv.URL] = k
		targets = append(targets, srv.URL)
	}
	list := filepath.Join(t.TempDir(), "targets.txt")
	os.WriteFile(list, []byte("# the fleet\r\n"+strings.Join(targets, "\r\n")+"\r\n\r\n"), 0o644)
	timeout := (exchangemock.SlowDelay * 2 / 3).String()

	type row struct {
		Target, Build, Vulnerable, Error string
		BuildSource                      string `json:"build_source"`
		BuildPrecision                   string `json:"build_precision"`
		Exchange                         bool
		CVEs                             []string
		Evidence                         []string
	}
	check := func(format string, rows []row) {
		t.Helper()
		if len(rows) != len(kinds) {
			t.Errorf("%s: %d results for %d targets", format, len(rows), len(kinds))
		}
		for _, r := range rows {
			k, ok := byTarget[r.Target]
			w := k.Want
			switch {
			case !ok:
				t.Errorf("%s: a result for %q, not a target", format, r.Target)
			case (r.Error != "") != w.Failed || r.Exchange != w.Exchange || r.Vulnerable != w.Vulnerable || r.Build != w.Build ||
				r.BuildSource != w.Source || r.BuildPrecision != w.Precision ||
				w.HasCVE != "" && !slices.Contains(r.CVEs, w.HasCVE) || w.NotCVE != "" && slices.Contains(r.CVEs, w.NotCVE):
				t.Errorf("%s: %s: got %+v, want %+v", format, k.Name, r, w)
			case w.SSRF != slices.ContainsFunc(r.Evidence, func(e string) bool { return strings.Contains(e, "routed to the server's own back end") }):
				t.Errorf("%s: %s: CVE-2021-26855 request routed, want %v: %q", format, k.Name, w.SSRF, r.Evidence)
			}
		}
	}
	run := func(format string) string {
		t.Helper()
		out, e, code := exhunt(t, "probe", "--targets", list, "--format", format, "--active", "--insecure", "--timeout", timeout)
		if code != 1 || !strings.Contains(e, "will appear in their IIS and HttpProxy logs") {
			t.Fatalf("--format %s: exit %d, want 1 (vulnerable ones); stderr %q", format, code, e)
		}
		return out
	}

	var doc struct {
		Active  bool
		Results []row
	}
	if err := json.Unmarshal([]byte(run("json")), &doc); err != nil || !doc.Active {
		t.Fatalf("json: %v, active %v", err, doc.Active)
	}
	check("json", doc.Results)

	var rows []row
	for _, line := range strings.Split(strings.TrimSpace(run("jsonl")), "\n") {
		var r row
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("jsonl: %v in %q", err, line)
		}
		rows = append(rows, r)
	}
	check("jsonl", rows)

	records, err := csv.NewReader(strings.NewReader(run("csv"))).ReadAll()
	if err != nil || len(records) == 0 {
		t.Fatalf("csv: %v", err)
	}
	if got := strings.Join(records[0], ","); got != "target,exchange,build,build_source,build_precision,vulnerable,cves,error,evidence" {
		t.Fatalf("csv header %q", got)
	}
	rows = rows[:0]
	for _, f := range records[1:] {
		r := row{Target: f[0], Exchange: f[1] == "true", Build: f[2], BuildSource: f[3], BuildPrecision: f[4], Vulnerable: f[5], Error: f[7]}
		r.CVEs = strings.Fields(f[6])
		r.Evidence = strings.Split(f[8], "; ")
		rows = append(rows, r)
	}
	check("csv", rows)

	// Text: a line per target naming its class, its evidence indented
	// below, and the count.
	text := run("text")
	for target, k := range byTarget {
		w := k.Want
		var class string
		switch {
		case w.Failed:
			class = "NOT CHECKED"
		case !w.Exchange && w.Vulnerable == "no":
			class = "not Exchange"
		case !w.Exchange:
			class = "UNKNOWN: Exchange not reached"
		case w.Vulnerable == "yes":
			class = "Exchange " + w.Build + " (" + map[string]string{"exact": "exact build", "cu": "CU level only"}[w.Precision] + ", " + w.Source + "): VULNERABLE to"
		case w.Vulnerable == "unknown":
			class = "Exchange " + w.Build + " (CU level only, " + w.Source + "): MAYBE vulnerable"
		default:
			class = "Exchange " + w.Build + " (exact build, " + w.Source + "): no critical CVE known to be open"
		}
		line := ""
		for _, l := range strings.Split(text, "\n") {
			if strings.HasPrefix(l, target+" ") {
				line = l
			}
		}
		if !strings.Contains(line, class) || w.HasCVE != "" && !strings.Contains(line, w.HasCVE) {
			t.Errorf("text: %s: line %q, want %q and %s", k.Name, line, class, w.HasCVE)
		}
	}
	if !strings.Contains(text, "14 target(s): 6 vulnerable, 3 maybe or unknown, 2 not known to be vulnerable, 1 not Exchange, 2 not checked") {
		t.Errorf("text count:\n%s", text)
	}

	// Nothing answered: said on the first line after the count, exit 3.
	if out, _, code := exhunt(t, "probe", "127.0.0.1:1"); code != 3 || !strings.Contains(out, "NOTHING CHECKED") || !strings.Contains(out, "connection refused") {
		t.Errorf("a target where nothing listens: exit %d\n%s", code, out)
	}

	// Without --insecure a self-signed certificate is not trusted: every
	// target is "not checked", and the exit says nothing was.
	if out, _, code := exhunt(t, "probe", "--format", "jsonl", targets[0]); code != 3 || !strings.Contains(out, "certificate") {
		t.Errorf("a self-signed target without --insecure: exit %d, %s", code, out)
	}

	// A malformed answer (a control character in a header) is neither
	// "vulnerable" nor Microsoft's mitigation: the request failed.
	hostile := httptest.NewServer(exchangemock.Server{OWAVersion: "15.2.1544.4", SSRF: "vulnerable", BETarget: "localhost\x1b[2J\x07"})
	defer hostile.Close()
	for _, format := range []string{"text", "csv"} {
		out, _, _ := exhunt(t, "probe", "--active", "--format", format, hostile.URL)
		if strings.ContainsAny(out, "\x1b\x07") || strings.Contains(out, "URL Rewrite") || !strings.Contains(out, "request failed") {
			t.Errorf("%s: a malformed answer:\n%q", format, out)
		}
	}
	// Operator errors: nothing is contacted.
	for _, args := range [][]string{{"probe"}, {"probe", "10.0.0.0/8"}, {"probe", "ftp://x"}, {"probe", "--format", "xml", "h"}} {
		if _, e, code := exhunt(t, args...); code != 2 || e == "" {
			t.Errorf("%v: exit %d, %q", args, code, e)
		}
	}
}

// What a target receives: without --active only what a browser would
// request (no cookie: the logon page, OWA's service endpoint, the export
// tool manifest, and for a CU-level build the manifest in the build
// folders, newest first, after one no build has), with it the
// CVE-2021-26855 request too; always the user agent naming exhunt.
func TestProbeRequests(t *testing.T) {
	var newest builds.Version
	for _, r := range builds.MustBuiltin().Releases {
		if r.Version.SameCU(builds.Version{Major: 15, Minor: 1, Build: 2176, Revision: -1}) && r.Version.Compare(newest) > 0 {
			newest = r.Version
		}
	}
	var mu sync.Mutex
	var seen []string
	honest := regexp.MustCompile(`^exhunt/\S+ \(Exchange exposure check\)$`)
	mock := exchangemock.Server{LogonPath: "15.1.2176", SSRF: "vulnerable", BuildFolders: []string{newest.String()}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ua := r.UserAgent()
		if honest.MatchString(ua) {
			ua = "exhunt"
		}
		seen = append(seen, r.Method+" "+r.URL.Path+" cookie="+strconv.FormatBool(r.Header.Get("Cookie") != "")+" ua="+ua)
		mu.Unlock()
		mock.ServeHTTP(w, r)
	}))
	defer srv.Close()
	browser := func(path string) string { return "GET " + path + " cookie=false ua=exhunt" }
	passive := []string{
		browser(exchangemock.PathLogon),
		browser(exchangemock.PathService),
		browser(exchangemock.PathExportTool),
		browser("/ecp/15.1.2176.65000/exporttool/microsoft.exchange.ediscovery.exporttool.application"),
		browser("/ecp/" + newest.String() + "/exporttool/microsoft.exchange.ediscovery.exporttool.application"),
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"probe", srv.URL}, passive},
		{[]string{"probe", "--active", srv.URL}, append(slices.Clone(passive), "GET "+exchangemock.PathSSRF+" cookie=true ua=exhunt")},
	} {
		seen = nil
		out, _, _ := exhunt(t, tc.args...)
		if !slices.Equal(seen, tc.want) {
			t.Errorf("%v: the target saw\n%s\nwant\n%s", tc.args, strings.Join(seen, "\n"), strings.Join(tc.want, "\n"))
		}
		if !strings.Contains(out, "Exchange "+newest.String()+" (exact build, export tool folder)") {
			t.Errorf("%v: the build folder's answer not taken:\n%s", tc.args, out)
		}
	}
}
