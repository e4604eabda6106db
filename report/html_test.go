package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/correlate"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/internal/chromiumtest"
	"github.com/exhunt/exhunt/result"
)

func renderHTML(t *testing.T, rep *result.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := HTML(&buf, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writePage writes a rendered page where the browser and a person can
// open it.
func writePage(t *testing.T, dir, name string, page []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, page, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// richSample is the sample server with findings of every severity and
// stage over two days, so that filters and the chart have something to
// work on.
func richSample() *result.Report {
	rep := sample()
	srv := rep.Servers[0]
	base := time.Date(2021, 3, 3, 0, 0, 0, 0, time.UTC)
	stages := []finding.Stage{finding.StageAttempt, finding.StageExploitation, finding.StageWebshellWritten, finding.StageWebshellUse, finding.StagePostExploitation}
	for i := range 40 {
		at := base.Add(time.Duration(i) * 47 * time.Minute)
		sev := finding.Severity(1 + i%4)
		f := finding.Finding{Rule: fmt.Sprintf("rule-%d", i%6), Severity: sev, Path: fmt.Sprintf("inetpub/logs/LogFiles/W3SVC1/u_ex2103%02d.log", 3+i/24), Line: 100 + i,
			Time: &at, Title: fmt.Sprintf("Finding %d", i), CVEs: []string{"CVE-2021-26855"}, Stage: stages[i%5], Remediation: "Look at it.",
			Evidence: finding.Evidence{{Name: "c-ip", Value: fmt.Sprintf("198.51.100.%d", i%3)}, {Name: "cs-uri-stem", Value: fmt.Sprintf("/owa/auth/s%d.aspx", i)}}}
		f.Normalise()
		srv.Findings = append(srv.Findings, f)
	}
	exposure := finding.Finding{Rule: "patch-vulnerable-build", Severity: finding.High, Path: "Program Files/Microsoft/Exchange Server/V15/Bin/ExSetup.exe",
		Title: "Vulnerable build", Exposure: true, CVEs: []string{"CVE-2021-26855"}}
	srv.Findings = append(srv.Findings, exposure)
	finding.Sort(srv.Findings)
	for i := range srv.Findings {
		srv.Findings[i].ID = srv.Findings[i].Fingerprint()
	}
	correlate.Server(srv)
	return rep
}

// domRow is a findings row as the browser shows it.
type domRow struct{ severity, group string }

// visibleRows returns the findings rows the DOM shows and how many it
// hides.
func visibleRows(t *testing.T, dom string) (shown []domRow, hidden int) {
	t.Helper()
	rows := regexp.MustCompile(`<tr class="finding[^"]*"[^>]*>`).FindAllString(dom, -1)
	if len(rows) == 0 {
		t.Fatal("no findings rows in the DOM")
	}
	attr := func(row, name string) string {
		return regexp.MustCompile(` ` + name + `="([^"]*)"`).FindStringSubmatch(row)[1]
	}
	for _, r := range rows {
		if strings.Contains(r, ` hidden=""`) {
			hidden++
			continue
		}
		shown = append(shown, domRow{attr(r, "data-severity"), attr(r, "data-group")})
	}
	return shown, hidden
}

// TestHTMLInBrowser renders a report in headless Chromium: the verdict
// shows, the page's own script runs under its policy, and the filters
// taken from the address show the rows they should.
func TestHTMLInBrowser(t *testing.T) {
	b := chromiumtest.Find(t)
	rep := richSample()
	dir := chromiumtest.ArtefactDir(t)
	page := writePage(t, dir, "report-sample.html", renderHTML(t, rep))

	dom := b.DumpDOM(t, chromiumtest.FileURL(t, page, ""))
	if !strings.Contains(dom, `data-report-ready="1"`) {
		t.Fatal("the page's script did not run (no data-report-ready): a wrong hash in the policy, or a script error")
	}
	for _, want := range []string{"COMPROMISED: evidence of successful exploitation since 2021-03-03 06:49 UTC", `class="badge badge-compromised">Compromised<`, "What to do now", "<svg"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the DOM lacks %q", want)
		}
	}
	if strings.Contains(dom, `<form class="filters" hidden`) {
		t.Error("the filters are still hidden after the script ran")
	}
	shown, hidden := visibleRows(t, dom)
	if hidden != 0 {
		t.Errorf("%d rows hidden without a filter", hidden)
	}
	total := len(shown)

	count := func(sev string) int {
		n := 0
		for _, f := range rep.Servers[0].Findings {
			if f.Severity.String() == sev && f.Rule != "log-coverage" {
				n++
			}
		}
		return n
	}
	dom = b.DumpDOM(t, chromiumtest.FileURL(t, page, "severity=critical"))
	shown, hidden = visibleRows(t, dom)
	if len(shown) != count("critical") || hidden != total-len(shown) {
		t.Errorf("#severity=critical shows %d rows and hides %d; want %d shown of %d", len(shown), hidden, count("critical"), total)
	}
	for _, r := range shown {
		if r.severity != "critical" {
			t.Errorf("#severity=critical shows a %s row", r.severity)
		}
	}
	if !strings.Contains(dom, fmt.Sprintf("Showing %d of %d findings", len(shown), total)) {
		t.Error("the count of shown rows is missing")
	}

	// Stage, search and sort together: the web shell use findings whose
	// text holds "s13.aspx", newest first.
	dom = b.DumpDOM(t, chromiumtest.FileURL(t, page, "stage=webshell-use&q=S13.ASPX&sort=time-desc"))
	shown, _ = visibleRows(t, dom)
	if len(shown) != 1 || shown[0].group != "webshell-use" {
		t.Errorf("stage+search shows %v", shown)
	}
	if !strings.Contains(dom, `aria-sort="descending"`) {
		t.Error("sort=time-desc did not sort")
	}
	var times []string
	for _, m := range regexp.MustCompile(`data-group="attempt"[^>]*>\s*<td data-sort="\d">.*?</td>\s*<td data-sort="([^"]*)"`).FindAllStringSubmatch(dom, -1) {
		times = append(times, m[1])
	}
	if len(times) < 2 || !slices.IsSortedFunc(times, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("attempt rows not newest first: %v", times)
	}

	// Without script the page is whole: every row shown, nothing to
	// filter with. (Chromium's --dump-dom needs script itself, so the
	// reader without script is the page without its one script element.)
	noScript := regexp.MustCompile(`(?s)<script>.*</script>`).ReplaceAll(renderHTML(t, rep), nil)
	dom = b.DumpDOM(t, chromiumtest.FileURL(t, writePage(t, dir, "report-sample-noscript.html", noScript), "severity=critical"))
	shown, hidden = visibleRows(t, dom)
	if strings.Contains(dom, "data-report-ready") || len(shown) != total || hidden != 0 ||
		!strings.Contains(dom, `<form class="filters" hidden`) || !strings.Contains(dom, "COMPROMISED: evidence") {
		t.Errorf("with script off: %d of %d rows shown, %d hidden, or the filters or the verdict are wrong", len(shown), total, hidden)
	}

	png := filepath.Join(dir, "report-sample.png")
	b.Screenshot(t, chromiumtest.FileURL(t, page, ""), png, 1280, 2000)
	t.Logf("screenshot: %s", png)
}

// The payloads each try to set data-pwned on the document element, the
// way injected markup or script would run.
var hostilePayloads = []string{
	`<script>document.documentElement.dataset.pwned="script"</script>`,
	`"><img src=x onerror="document.documentElement.dataset.pwned='img'">`,
	`'><svg onload="document.documentElement.dataset.pwned='svg'">`,
	`javascript:document.documentElement.dataset.pwned='url'`,
	`</style><script>document.documentElement.dataset.pwned='style'</script>`,
	`</script><script>document.documentElement.dataset.pwned='script-close'</script>`,
	`</title></desc></text></svg><img src=x onerror="document.documentElement.dataset.pwned='svg-close'">`,
	`]]><!--<script>document.documentElement.dataset.pwned='comment'</script>-->`,
	`<iframe srcdoc="<script>parent.document.documentElement.dataset.pwned='iframe'</script>"></iframe>`,
	`<a href="javascript:document.documentElement.dataset.pwned='link'" id=x>x</a><base href="https://attacker.example/">`,
	"line\u2028sep\u2029para\x00nul\x1b[31mred\x07bell\u202egnp.exe\xff",
	`<math><mtext><table><mglyph><style><img src=x onerror="document.documentElement.dataset.pwned='mxss'">`,
	`<meta http-equiv="refresh" content="0;url=https://attacker.example/"><link rel=stylesheet href=https://attacker.example/x.css>`,
	`{{.}}<img src="data:image/svg+xml,<svg onload=alert(1)>" onerror=document.documentElement.dataset.pwned='tmpl'>`,
}

// plant appends a payload to every plain string of the report (paths,
// evidence names and values, user agents, URLs, titles, server names,
// coverage folders, errors, milestones, sessions...), each string the
// next payload from offset on, so that every kind of field carries
// markup. Stages and severities, typed, keep their values, so that the
// findings still fall into their sections.
func plant(v reflect.Value, offset *int) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			plant(v.Elem(), offset)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				plant(v.Field(i), offset)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			plant(v.Index(i), offset)
		}
	case reflect.String:
		if v.Type() == reflect.TypeFor[string]() && v.CanSet() {
			v.SetString(v.String() + hostilePayloads[*offset%len(hostilePayloads)])
			*offset++
		}
	}
}

// hostileServer is the sample server with a finding in each section of
// the findings table.
func hostileServer() *result.Server {
	srv := sample().Servers[0]
	at := time.Date(2021, 3, 3, 9, 0, 0, 0, time.UTC)
	srv.Findings = append(srv.Findings,
		finding.Finding{Rule: "patch-vulnerable-build", Severity: finding.High, Path: "Bin/ExSetup.exe", Title: "Vulnerable build", Exposure: true,
			Evidence: finding.Evidence{{Name: "build", Value: "15.1.2176.2"}}},
		finding.Finding{Rule: "iis-attacker-activity", Severity: finding.Medium, Path: "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log", Line: 9, Time: &at,
			Title: "Request from an attacker", Stage: finding.StageAttempt, SourceIP: "203.0.113.45", UserAgent: "ua", URL: "https://ex01/owa/auth/x.js",
			Evidence: finding.Evidence{{Name: "cs-uri-stem", Value: "/owa/auth/x.js"}}},
		finding.Finding{Rule: "webshell-request-success", Severity: finding.Critical, Path: "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log", Line: 10, Time: &at,
			Title: "Web shell answered", Stage: finding.StageWebshellUse, Evidence: finding.Evidence{{Name: "cs-uri-query", Value: "cmd=whoami"}}},
		finding.Finding{Rule: "content-rule-match", Severity: finding.High, Path: "Windows/Temp/x.bin", Title: "User rule matched"},
	)
	finding.Sort(srv.Findings)
	for i := range srv.Findings {
		srv.Findings[i].ID = srv.Findings[i].Fingerprint()
	}
	correlate.Server(srv)
	return srv
}

// hostileReport is a case of one server per payload offset, so that each
// payload lands in each field on one of them.
func hostileReport() *result.Report {
	rep := sample()
	rep.Servers = nil
	for range hostilePayloads {
		rep.Servers = append(rep.Servers, hostileServer())
	}
	rep.Skipped = []result.SkippedFolder{{Dir: "/evidence/notes", Why: "nothing of a server"}}
	rep.NotReached = []string{"/evidence/ex99"}
	rep.Campaign = &result.Campaign{
		SourceIPs:     []result.CampaignIndicator{{Value: "203.0.113.45", Servers: []result.CampaignServer{{Name: "EX01", Root: "/a"}, {Name: "EX02", Root: "/b"}}}},
		UserAgents:    []result.CampaignIndicator{{Value: "ua", Servers: []result.CampaignServer{{Name: "EX01"}, {Name: "EX02"}}}},
		WebshellNames: []result.CampaignIndicator{{Value: "s.aspx", Servers: []result.CampaignServer{{Name: "EX01"}, {Name: "EX02"}}}},
	}
	offset := 0
	plant(reflect.ValueOf(&rep.Tool), &offset)
	plant(reflect.ValueOf(&rep.Scan), &offset)
	plant(reflect.ValueOf(&rep.Skipped), &offset)
	plant(reflect.ValueOf(&rep.NotReached), &offset)
	plant(reflect.ValueOf(rep.Campaign), &offset)
	for k, s := range rep.Servers {
		offset = k
		plant(reflect.ValueOf(s), &offset)
	}
	return rep
}

// pageTags are the elements the page is made of; the script adds the sort
// buttons.
var pageTags = map[string]bool{"html": true, "head": true, "meta": true, "title": true, "style": true, "body": true, "header": true, "p": true,
	"code": true, "main": true, "section": true, "h1": true, "h2": true, "h3": true, "ul": true, "ol": true, "li": true, "a": true, "dl": true,
	"dt": true, "dd": true, "strong": true, "br": true, "figure": true, "figcaption": true, "svg": true, "desc": true, "rect": true, "line": true,
	"text": true, "g": true, "div": true, "table": true, "caption": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true,
	"span": true, "form": true, "fieldset": true, "legend": true, "label": true, "input": true, "select": true, "option": true, "output": true,
	"details": true, "summary": true, "footer": true, "script": true, "button": true}

var (
	tagPattern = regexp.MustCompile(`<([a-zA-Z][a-zA-Z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>`)
	// attrPattern takes one attribute with its whole value, so that text
	// inside a value is never read as an attribute.
	attrPattern = regexp.MustCompile(`([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?`)
	// urlAttributes are the attributes that make a browser fetch or go
	// somewhere.
	urlAttributes = map[string]bool{"href": true, "src": true, "srcset": true, "srcdoc": true, "action": true, "formaction": true, "xlink:href": true,
		"poster": true, "data": true, "background": true, "cite": true, "ping": true, "manifest": true}
)

// checkMarkup asserts that a document has only the page's own elements, no
// event handler attributes, one script and one style, and no reference to
// anything outside itself but the advisories.
func checkMarkup(t *testing.T, what, doc string) {
	t.Helper()
	allowed := htmlLinks()
	elements := map[string]int{}
	for _, m := range tagPattern.FindAllStringSubmatch(doc, -1) {
		tag := strings.ToLower(m[1])
		elements[tag]++
		if !pageTags[tag] {
			t.Errorf("%s: element <%s> is not one of the page's", what, tag)
		}
		for _, a := range attrPattern.FindAllStringSubmatch(m[2], -1) {
			name, value := strings.ToLower(a[1]), html.UnescapeString(strings.Trim(a[2], `"'`))
			switch {
			case strings.HasPrefix(name, "on"):
				t.Errorf("%s: event handler attribute %s in %.200s", what, name, m[0])
			case tag == "meta" && name == "content" && strings.Contains(strings.ToLower(value), "url="):
				t.Errorf("%s: meta content with a URL: %s", what, value)
			case !urlAttributes[name]:
			case name == "href" && (strings.HasPrefix(value, "#") || slices.Contains(allowed, value)):
			default:
				t.Errorf("%s: %s=%q points outside the page", what, name, value)
			}
		}
	}
	if elements["script"] != 1 || elements["style"] != 1 || elements["base"] != 0 || elements["link"] != 0 {
		t.Errorf("%s: %d script, %d style, %d base, %d link elements; want one script, one style", what, elements["script"], elements["style"], elements["base"], elements["link"])
	}
	if strings.Contains(doc, "url(") || strings.Contains(doc, "@import") {
		t.Errorf("%s: the style refers to something outside the page", what)
	}
}

// TestHTMLSelfContained: the page's policy allows exactly its own style
// and script, and it refers to nothing outside itself but the advisories.
func TestHTMLSelfContained(t *testing.T) {
	for name, rep := range map[string]*result.Report{"sample": sample(), "case": caseSample(), "rich": richSample(), "none": {Tool: tool}} {
		page := string(renderHTML(t, rep))
		checkMarkup(t, name, page)
		csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`).FindStringSubmatch(page)
		if csp == nil {
			t.Fatalf("%s: no Content-Security-Policy", name)
		}
		policy := html.UnescapeString(csp[1])
		hash := func(open, close string) string {
			i := strings.Index(page, open) + len(open)
			j := strings.Index(page[i:], close)
			sum := sha256.Sum256([]byte(page[i : i+j]))
			return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		}
		for _, want := range []string{"default-src 'none'", "script-src " + hash("<script>", "</script>"), "style-src " + hash("<style>", "</style>"), "base-uri 'none'"} {
			if !strings.Contains(policy, want) {
				t.Errorf("%s: the policy %q lacks %q", name, policy, want)
			}
		}
		if strings.Contains(policy, "unsafe") {
			t.Errorf("%s: the policy allows unsafe content: %s", name, policy)
		}
	}
}

// TestHTMLHostile plants markup and script in every string of a report
// and proves in Chromium that none of it runs: the page is loaded without
// its policy, so only the escaping stands between the payloads and the
// browser. A control page with one payload left raw shows that the test
// would see a payload run.
func TestHTMLHostile(t *testing.T) {
	rep := hostileReport()
	page := renderHTML(t, rep)
	checkMarkup(t, "hostile page", string(page))
	for _, bad := range []string{"\x1b", "\x00", "\x07", "\u202e"} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("a raw %q reached the page", bad)
		}
	}
	if !bytes.Contains(page, []byte(`\x1b[31mred\x07bell\u202egnp.exe\xff`)) {
		t.Error("control characters are not shown as escapes")
	}

	b := chromiumtest.Find(t)
	dir := chromiumtest.ArtefactDir(t)
	policy := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy"[^>]*>`)
	if !policy.Match(page) {
		t.Fatal("no policy to remove")
	}
	open := policy.ReplaceAll(page, nil)
	check := func(name string, doc []byte, wantPwned string) string {
		t.Helper()
		dom := b.DumpDOM(t, chromiumtest.FileURL(t, writePage(t, dir, name, doc), ""))
		if !strings.Contains(dom, `data-report-ready="1"`) {
			t.Errorf("%s: the page's own script did not run, so the test proves nothing", name)
		}
		pwned := regexp.MustCompile(`data-pwned="([^"]*)"`).FindStringSubmatch(dom)
		switch {
		case wantPwned == "" && pwned != nil:
			t.Errorf("%s: a payload ran: data-pwned=%q", name, pwned[1])
		case wantPwned != "" && (pwned == nil || pwned[1] != wantPwned):
			t.Errorf("%s: the raw payload did not run (data-pwned %v), so the test could not see one run", name, pwned)
		}
		return dom
	}
	dom := check("hostile-no-policy.html", open, "")
	checkMarkup(t, "hostile DOM", dom)
	for _, p := range []string{"&lt;script&gt;document.documentElement.dataset.pwned", "onerror=", "javascript:document"} {
		if !strings.Contains(dom, p) {
			t.Errorf("payload text %q is not shown on the page", p)
		}
	}
	// The control: the same page with one payload left raw, an event
	// handler, which runs later than a script would.
	control := bytes.Replace(open, []byte("<main>"), []byte("<main>"+hostilePayloads[1]), 1)
	check("hostile-control.html", control, "img")
}

// TestHTMLBounds: a huge evidence value is cut, with a marker, and a
// finding's fields are bounded.
func TestHTMLBounds(t *testing.T) {
	rep := sample()
	f := &rep.Servers[0].Findings[1]
	f.Evidence = append(f.Evidence, finding.Field{Name: "Body", Value: strings.Repeat("é", 100_000)})
	for i := range 100 {
		f.Evidence = append(f.Evidence, finding.Field{Name: fmt.Sprintf("F%d", i), Value: "v"})
	}
	page := string(renderHTML(t, rep))
	if len(page) > 60_000 {
		t.Errorf("page of %d bytes for one long value", len(page))
	}
	if !strings.Contains(page, "… [199600 more bytes not shown; --format json has the whole value]") {
		t.Error("no marker where the long value was cut")
	}
	if !strings.Contains(page, fmt.Sprintf("… %d more fields (--format json has them)", 5+1+100-maxHTMLFields)) {
		t.Error("no count of the fields not shown")
	}
	if !utf8Valid(page) {
		t.Error("a value was cut inside a character")
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\ufffd") == s }

// TestHTMLDeterministic: the same report renders byte for byte the same,
// whatever the zone its times come in and whatever the local zone.
func TestHTMLDeterministic(t *testing.T) {
	want := renderHTML(t, caseSample())
	saved := time.Local
	defer func() { time.Local = saved }()
	time.Local = time.FixedZone("X", 5*3600+1800)
	rep := caseSample()
	zone := time.FixedZone("Y", -7*3600)
	move := func(tp *time.Time) {
		if tp != nil {
			*tp = tp.In(zone)
		}
	}
	for _, s := range rep.Servers {
		for i := range s.Findings {
			move(s.Findings[i].Time)
		}
		v := &s.Verdict
		for _, tp := range []*time.Time{v.FirstEvidence, v.FirstCompromise, v.LastEvidence, v.CoveredFrom, v.CoveredTo, &s.Stats.Started} {
			move(tp)
		}
		if tl := s.Timeline; tl != nil {
			for i := range tl.Milestones {
				move(&tl.Milestones[i].Time)
			}
		}
	}
	for range 3 {
		if got := renderHTML(t, rep); !bytes.Equal(got, want) {
			t.Fatal("the HTML report depends on the zone of its times or on the run")
		}
	}
}

// TestHTMLChartExtremes: times an attacker can forge (a file time of 1601,
// one in 9999) and a single instant still give a chart, without a panic
// and with every coordinate a number.
func TestHTMLChartExtremes(t *testing.T) {
	for name, times := range map[string][]time.Time{
		"centuries": {time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
		"instant":   {time.Date(2021, 3, 3, 6, 49, 43, 0, time.UTC), time.Date(2021, 3, 3, 6, 49, 43, 0, time.UTC)},
		"reversed":  {time.Date(2021, 3, 4, 0, 0, 0, 0, time.UTC), time.Date(2021, 3, 3, 0, 0, 0, 0, time.UTC)},
	} {
		rep := sample()
		s := rep.Servers[0]
		s.Verdict.CoveredFrom, s.Verdict.CoveredTo = &times[0], &times[1]
		s.Timeline.Milestones[0].Time = times[0]
		s.Timeline.Milestones[len(s.Timeline.Milestones)-1].Time = times[1]
		for i := range s.Findings {
			s.Findings[i].Time = &times[i%2]
		}
		c := newChart(s)
		if c == nil || len(c.Lanes) != len(chartStages) || len(c.Ticks) > chartMaxTicks+1 {
			t.Fatalf("%s: chart %+v", name, c)
		}
		page := string(renderHTML(t, rep))
		if regexp.MustCompile(`="[-+]?(NaN|Inf)|[0-9]e[-+][0-9]`).MatchString(page) {
			t.Errorf("%s: a coordinate is not a number", name)
		}
	}
}

// htmlLinks are the only URLs the HTML report links to outside itself: the
// public advisories. Everything else is an anchor within the page.
func htmlLinks() []string {
	var out []string
	for _, level := range []string{result.VerdictCompromised, result.VerdictAttempted, result.VerdictClean, result.VerdictInconclusive} {
		for _, a := range result.AdvisoriesFor(level) {
			if !slices.Contains(out, a.URL) {
				out = append(out, a.URL)
			}
		}
	}
	return out
}
