package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/chromiumtest"
	"github.com/exhunt/exhunt/testserver"
)

// pwn is what every payload tries to do; the report's own script sets
// data-report-ready, which shows that script runs at all.
const pwn = "document.documentElement.dataset.pwned=1"

// TestEndToEndHostileLogsInHTML plants script and event-handler payloads
// where attackers control the text, in a server's logs and file names,
// scans it to an HTML report as a user would, and loads the report in
// Chromium, its Content-Security-Policy removed, so that only the escaping
// stands between the payloads and the page: none may run.
func TestEndToEndHostileLogsInHTML(t *testing.T) {
	dir := t.TempDir()
	if _, err := testserver.Generate(dir, testserver.DemoOptions()); err != nil {
		t.Fatal(err)
	}
	payloads := []string{
		"<script>" + pwn + "</script>",
		`"><img src=x onerror="` + pwn + `">`,
		"'><svg onload=" + pwn + ">",
		"</style></script><iframe srcdoc=\"<script>parent." + pwn + "</script>\">",
		"javascript:" + pwn,
		"\x1b]8;;http://evil.example\x07link\x1b]8;;\x07\u202e",
	}
	log := filepath.Join(dir, "Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG")
	appendForgedRequests(t, log, payloads)
	shells := filepath.Join(dir, "inetpub/wwwroot/aspnet_client")
	for i, p := range []string{"<svg onload=" + pwn + ">", "<img src=x onerror=" + pwn + ">"} {
		name := filepath.Join(shells, strings.ReplaceAll(p, "/", "_")+".aspx")
		if err := os.WriteFile(name, []byte(fmt.Sprintf(`<%%@ Page Language="C#" %%>page %d`, i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "report.html")
	if _, stderr, code := exhunt(t, "scan", "--root", dir, "--format", "html", "--out", out); code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	for _, must := range []string{"ExchangeServicesClient", "aspnet_client"} {
		if !strings.Contains(page, must) {
			t.Fatalf("the planted evidence did not reach the report (%q missing)", must)
		}
	}
	if strings.Contains(page, "\x1b") || strings.Contains(page, "\u202e") {
		t.Error("a control or direction character reached the page raw")
	}
	// Only escaping protects the page now.
	noPolicy := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy"[^>]*>`).ReplaceAllString(page, "")
	if noPolicy == page {
		t.Fatal("the report has no Content-Security-Policy to remove")
	}
	bare := filepath.Join(chromiumtest.ArtefactDir(t), "hostile-logs.html")
	if err := os.WriteFile(bare, []byte(noPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	b := chromiumtest.Find(t)
	dom := b.DumpDOM(t, chromiumtest.FileURL(t, bare, ""))
	if !strings.Contains(dom, `data-report-ready="1"`) {
		t.Fatalf("the report's own script did not run: the test would see no payload run either\n%.1500s", dom)
	}
	if strings.Contains(dom, "data-pwned") {
		t.Errorf("a payload planted in the logs ran in the report")
	}
	for _, shown := range []string{"&lt;script&gt;" + pwn, "onerror=" + pwn, "&lt;svg onload=" + pwn} {
		if !strings.Contains(dom, shown) {
			t.Errorf("payload %q is not shown as text", shown)
		}
	}
	b.Screenshot(t, chromiumtest.FileURL(t, bare, "q=script"), filepath.Join(chromiumtest.ArtefactDir(t), "hostile-logs.png"), 1280, 1600)

	// The same evidence in the other formats: no raw escape sequence on a
	// terminal, no formula in a spreadsheet.
	text, _, _ := exhunt(t, "scan", "--root", dir, "--no-color")
	if strings.ContainsAny(text, "\x1b\x07\u202e") {
		t.Error("an escape sequence reached the text report raw")
	}
	csvOut, _, _ := exhunt(t, "scan", "--root", dir, "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("CSV cell starts a formula: %.80q", cell)
			}
		}
	}
}

// appendForgedRequests appends to an HttpProxy log copies of its first
// forged request (CVE-2021-26855) whose user agent, authenticated user
// and routing hint carry the payloads.
func appendForgedRequests(t *testing.T, log string, payloads []string) {
	t.Helper()
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	var attack []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if f, ok := strings.CutPrefix(line, "#Fields: "); ok {
			fields = strings.Split(f, ",")
		} else if attack == nil && strings.Contains(line, "ServerInfo~") {
			if attack, err = csv.NewReader(strings.NewReader(line)).Read(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if fields == nil || attack == nil {
		t.Fatalf("%s: no header or no forged request", log)
	}
	col := map[string]int{}
	for i, f := range fields {
		col[f] = i
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	for _, p := range payloads {
		rec := append([]string(nil), attack...)
		rec[col["UserAgent"]] = "ExchangeServicesClient/0.0.0.0 " + p
		rec[col["AuthenticatedUser"]] = p
		rec[col["AnchorMailbox"]] = "ServerInfo~a]@EX01.contoso.local:444/mapi/emsmdb/?" + p + "#"
		w.Write(rec)
	}
	w.Flush()
	f, err := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
}
