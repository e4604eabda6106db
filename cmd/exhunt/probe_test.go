package main

import (
	"encoding/csv"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/exchangemock"
)

// exhunt probe over a small fleet, in every output format: each server
// classified right, exit 1 for the vulnerable one, attacker-chosen text
// (a header value) neutralised on the terminal and in CSV.
func TestEndToEndProbe(t *testing.T) {
	fleet := map[string]exchangemock.Server{
		"patched":    {OWAVersion: "15.2.1544.4", LogonPath: "15.2.1544"},
		"vulnerable": {OWAVersion: "15.1.2176.2", LogonPath: "15.1.2176", SSRF: "vulnerable"},
		"cu":         {LogonPath: "15.2.1118"},
		"other":      {NotOWA: true},
	}
	urls := map[string]string{}
	var targets []string
	for name, m := range fleet {
		srv := httptest.NewServer(m)
		defer srv.Close()
		urls[srv.URL] = name
		targets = append(targets, srv.URL)
	}
	list := filepath.Join(t.TempDir(), "targets.txt")
	os.WriteFile(list, []byte("# the fleet\r\n"+strings.Join(targets, "\r\n")+"\r\n\r\n"), 0o644)

	out, e, code := exhunt(t, "probe", "--targets", list, "--format", "json", "--active", "--timeout", "5s")
	if code != 1 || !strings.Contains(e, "will appear in their IIS and HttpProxy logs") {
		t.Fatalf("exit %d, want 1 (one vulnerable); stderr %q", code, e)
	}
	var doc struct {
		Results []struct {
			Target, Build, BuildSource, Vulnerable string
			Exchange                               bool
			CVEs                                   []string
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"patched": "no", "vulnerable": "yes", "cu": "unknown", "other": "no"}
	if len(doc.Results) != len(fleet) {
		t.Fatalf("%d results for %d targets", len(doc.Results), len(fleet))
	}
	for _, r := range doc.Results {
		name := urls[r.Target]
		if r.Vulnerable != want[name] || r.Exchange != (name != "other") {
			t.Errorf("%s (%s): %+v", r.Target, name, r)
		}
	}
	for _, format := range []string{"jsonl", "csv", "text"} {
		out, _, code := exhunt(t, append([]string{"probe", "--format", format}, targets...)...)
		if code != 1 {
			t.Errorf("--format %s: exit %d", format, code)
		}
		switch format {
		case "jsonl":
			if n := strings.Count(strings.TrimSpace(out), "\n") + 1; n != len(fleet) {
				t.Errorf("jsonl: %d lines", n)
			}
		case "csv":
			rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil || len(rows) != len(fleet)+1 || rows[0][0] != "target" {
				t.Errorf("csv: %d rows, %v", len(rows), err)
			}
		case "text":
			if !strings.Contains(out, "VULNERABLE to") || !strings.Contains(out, "MAYBE vulnerable") || !strings.Contains(out, "not Exchange") {
				t.Errorf("text:\n%s", out)
			}
		}
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
