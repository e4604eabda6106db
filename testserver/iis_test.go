package testserver

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/indicators"
	"github.com/exhunt/exhunt/root"
)

// w3cLine is one data line of an IIS log, by field name.
type w3cLine struct {
	site                              int // 1 front end, 2 back end
	at                                time.Time
	method, stem, query, user, ip, ua string
	status                            string
	fileRel                           string
	lineNo                            int
}

// readIIS reads every IIS log below dir (relative paths as the manifest
// names them, prefixed with prefix), checking the W3C shape as it goes.
func readIIS(t *testing.T, base, prefix string) (lines []w3cLine, files int, size int64) {
	t.Helper()
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasPrefix(d.Name(), "u_ex") {
			return nil
		}
		site := 1
		if strings.Contains(filepath.ToSlash(p), "/W3SVC2/") {
			site = 2
		}
		rel, _ := filepath.Rel(base, p)
		rel = path.Join(prefix, filepath.ToSlash(rel))
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		size += int64(len(data))
		if !bytes.HasSuffix(data, []byte("\r\n")) {
			t.Errorf("%s: does not end with CRLF", rel)
		}
		fileDay := "20" + d.Name()[4:6] + "-" + d.Name()[6:8] + "-" + d.Name()[8:10]
		var last time.Time
		headers := 0
		for i, l := range strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n") {
			n := i + 1
			if strings.HasPrefix(l, "#") {
				if strings.HasPrefix(l, "#Software: ") {
					headers++
					if l != "#Software: Microsoft Internet Information Services 10.0" {
						t.Errorf("%s:%d: %s", rel, n, l)
					}
				}
				if strings.HasPrefix(l, "#Fields: ") && l != "#Fields: "+strings.Join(IISFields, " ") {
					t.Errorf("%s:%d: fields %s", rel, n, l)
				}
				continue
			}
			if n <= 4 {
				t.Fatalf("%s: data before the header block", rel)
			}
			f := strings.Split(l, " ")
			if len(f) != len(IISFields) {
				t.Fatalf("%s:%d: %d fields, want %d: %s", rel, n, len(f), len(IISFields), l)
			}
			for k, v := range f {
				if v == "" {
					t.Fatalf("%s:%d: empty field %s: %s", rel, n, IISFields[k], l)
				}
			}
			at, err := time.Parse("2006-01-02 15:04:05", f[0]+" "+f[1])
			if err != nil {
				t.Fatalf("%s:%d: %v", rel, n, err)
			}
			if f[0] != fileDay {
				t.Errorf("%s:%d: date %s in the file of %s", rel, n, f[0], fileDay)
			}
			if at.Before(last) {
				t.Errorf("%s:%d: time goes back from %s to %s", rel, n, last, at)
			}
			last = at
			if portOK := (site == 1 && (f[6] == "443" || f[6] == "80")) || (site == 2 && f[6] == "444"); !portOK {
				t.Errorf("%s:%d: port %s on W3SVC%d", rel, n, f[6], site)
			}
			lines = append(lines, w3cLine{site: site, at: at, method: f[3], stem: f[4], query: f[5], user: f[7], ip: f[8], ua: f[9], status: f[11],
				fileRel: rel, lineNo: n})
		}
		if headers == 0 {
			t.Errorf("%s: no header", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return lines, files, size
}

// The published facts the IIS rules are written against, as the test's
// own reading of them.
var (
	// Volexity's exploitation addresses (CISA AA21-062A).
	volexityIPs = strings.Fields("103.77.192.219 104.140.114.110 104.250.191.110 108.61.246.56 149.28.14.163 157.230.221.198 " +
		"167.99.168.251 185.250.151.72 192.81.208.169 203.160.69.66 211.56.98.146 5.254.43.18 5.2.69.14 80.92.205.81 91.192.103.43")
	uaCurrentPost = []string{"DuckDuckBot/1.0;+(+http://duckduckgo.com/duckduckbot.html)",
		"facebookexternalhit/1.1+(+http://www.facebook.com/externalhit_uatext.php)",
		"Mozilla/5.0+(compatible;+Baiduspider/2.0;++http://www.baidu.com/search/spider.html)",
		"Mozilla/5.0+(compatible;+Bingbot/2.0;++http://www.bing.com/bingbot.htm)",
		"Mozilla/5.0+(compatible;+Googlebot/2.1;++http://www.google.com/bot.html",
		"Mozilla/5.0+(compatible;+Konqueror/3.5;+Linux)+KHTML/3.5.5+(like+Gecko)+(Exabot-Thumbnails)",
		"Mozilla/5.0+(compatible;+Yahoo!+Slurp;+http://help.yahoo.com/help/us/ysearch/slurp)",
		"Mozilla/5.0+(compatible;+YandexBot/3.0;++http://yandex.com/bots)",
		"Mozilla/5.0+(X11;+Linux+x86_64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/51.0.2704.103+Safari/537.36"}
	uaECPPost = []string{"ExchangeServicesClient/0.0.0.0", "python-requests/2.19.1", "python-requests/2.25.1"}
	uaShell   = []string{"antSword/v2.1", "Googlebot/2.1+(+http://www.googlebot.com/bot.html)",
		"Mozilla/5.0+(compatible;+Baiduspider/2.0;++http://www.baidu.com/search/spider.html)"}
	scriptExt  = map[string]bool{".aspx": true, ".asmx": true, ".ashx": true, ".asp": true, ".ascx": true, ".php": true, ".jsp": true, ".cshtml": true}
	frontDoor  = regexp.MustCompile(`(?i)^(/ecp/[a-z0-9]{1,3}\.js|/owa/auth/x\.js|/ecp/default\.flt|/ecp/main\.css)$`)
	resetVDir  = regexp.MustCompile(`(?i)(^|&)schema=Reset[a-z]*VirtualDirectory(&|$)`)
	commandArg = regexp.MustCompile(`(?i)=(whoami|net1?\+|cmd(\.exe)?\+/c|powershell|ipconfig|systeminfo|tasklist|nltest|quser)`)
)

func byPlaceOf(lines []w3cLine, rel string, n int) w3cLine {
	for _, l := range lines {
		if l.fileRel == rel && l.lineNo == n {
			return l
		}
	}
	return w3cLine{}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// shellPath reports whether a URL path names a script in the shell hot
// spots that Exchange does not install there.
func shellPath(stem string) bool {
	low := strings.ToLower(stem)
	if !scriptExt[path.Ext(low)] {
		return false
	}
	switch {
	case strings.HasPrefix(low, "/aspnet_client/"):
		return true
	case strings.HasPrefix(low, "/owa/auth/"), strings.HasPrefix(low, "/ecp/auth/"):
		own := `frontend\httpproxy\` + low[1:4] + `\auth\` + strings.ReplaceAll(low[len("/owa/auth/"):], "/", `\`)
		return !indicators.MustBuiltin().FrontEndFiles[own]
	}
	return false
}

// classify is the test's reading of the IIS rules of the task: which
// findings a line calls for.
func classify(l w3cLine) map[string]finding.Severity {
	out := map[string]finding.Severity{}
	stem, post := strings.ToLower(l.stem), l.method == "POST"
	if frontDoor.MatchString(stem) && post {
		out["iis-ssrf-front-door"] = finding.Medium
	} else if stem == "/owa/auth/x.js" && l.method == "GET" {
		out["iis-ssrf-front-door"] = finding.Low
	}
	if post && strings.HasPrefix(stem, "/owa/auth/current/themes/resources/") {
		out["iis-exploit-post-target"] = finding.Medium
	}
	if (post && strings.HasPrefix(stem, "/owa/auth/current/") && contains(uaCurrentPost, l.ua)) ||
		(post && strings.HasPrefix(stem, "/ecp/") && contains(uaECPPost, l.ua)) ||
		((strings.HasPrefix(stem, "/aspnet_client/") || strings.HasPrefix(stem, "/owa/")) && contains(uaShell, l.ua)) {
		out["iis-attacker-user-agent"] = finding.Medium
	}
	if shellPath(stem) {
		switch l.status {
		case "200", "201", "204":
			out["iis-webshell-use"] = finding.Critical
		case "302", "404", "401", "403":
			out["iis-webshell-probe"] = finding.Low
		}
	}
	client, _, _ := strings.Cut(l.query, "&CorrelationID=")
	if commandArg.MatchString("=" + client) {
		out["iis-webshell-command"] = finding.High
	}
	if l.site == 2 && post && stem == "/ecp/ddi/ddiservice.svc/setobject" && resetVDir.MatchString(l.query) && strings.HasSuffix(l.user, "$") {
		out["iis-backend-reset-vdir"] = finding.Medium
		if l.status == "200" {
			out["iis-backend-reset-vdir"] = finding.Critical
		}
	}
	if contains(volexityIPs, l.ip) {
		out["ioc-client-ip"] = finding.Medium
	}
	return out
}

func generateDemo(t *testing.T, edit func(*Options)) (string, *Manifest) {
	t.Helper()
	dir := t.TempDir()
	opt := DemoOptions()
	if edit != nil {
		edit(&opt)
	}
	man, err := Generate(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	return dir, man
}

// TestIISGroundTruth: the logs are valid W3C, and the IIS expectations are
// exactly the lines the rules describe, in both directions: every expected
// line holds what its rule says, and no other line (benign traffic, the
// look-alikes) does.
func TestIISGroundTruth(t *testing.T) {
	dir, man := generateDemo(t, nil)
	lines, files, size := readIIS(t, filepath.Join(dir, filepath.FromSlash(DefaultIISLogDir)), DefaultIISLogDir)
	if files != man.IISLogFiles || size != man.IISLogBytes || files != 6 {
		t.Errorf("read %d IIS files, %d bytes; the manifest says %d, %d (want 2 sites x 3 days)", files, size, man.IISLogFiles, man.IISLogBytes)
	}
	type key struct {
		path string
		line int
		rule string
	}
	want := map[key]Expect{}
	for _, e := range man.ExpectedIIS {
		k := key{e.Path, e.Line, e.Rule}
		if _, dup := want[k]; dup {
			t.Errorf("expected twice: %+v", e)
		}
		want[k] = e
	}
	got := map[key]finding.Severity{}
	for _, l := range lines {
		for rule, sev := range classify(l) {
			got[key{l.fileRel, l.lineNo, rule}] = sev
		}
	}
	for k, e := range want {
		sev, ok := got[k]
		switch {
		case !ok:
			t.Errorf("%s:%d: expected %s (%s) but the line does not hold it", k.path, k.line, k.rule, e.Why)
		case sev != e.Severity:
			t.Errorf("%s:%d: %s is %s, expected %s (%s)", k.path, k.line, k.rule, sev, e.Severity, e.Why)
		}
	}
	for k, sev := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s:%d: %s %s on a line the manifest does not expect", k.path, k.line, k.rule, sev)
		}
	}
	// Every rule is planted, and the kinds the task asks for are there.
	count := map[string]int{}
	for _, e := range man.ExpectedIIS {
		count[e.Rule+" "+e.Severity.String()]++
	}
	for _, r := range []string{"iis-ssrf-front-door medium", "iis-ssrf-front-door low", "iis-exploit-post-target medium", "iis-attacker-user-agent medium",
		"iis-webshell-use critical", "iis-webshell-probe low", "iis-webshell-command high", "iis-backend-reset-vdir critical", "iis-backend-reset-vdir medium", "ioc-client-ip medium"} {
		if count[r] == 0 {
			t.Errorf("no %s planted", r)
		}
	}
	for _, e := range man.ExpectedIIS {
		if e.Rule == "iis-webshell-probe" {
			l := byPlaceOf(lines, e.Path, e.Line)
			if !indicators.MustBuiltin().WebshellNames[strings.ToLower(path.Base(l.stem))] {
				t.Errorf("%s:%d: %s is not a published shell name", e.Path, e.Line, l.stem)
			}
		}
	}
	if count["iis-webshell-probe low"] < 12 || count["ioc-client-ip medium"] < 3 || count["iis-webshell-command high"] < 4 {
		t.Errorf("too few planted: %v", count)
	}
	// The look-alikes are there and quiet.
	if len(man.QuietIIS) < 7 {
		t.Errorf("%d look-alike lines", len(man.QuietIIS))
	}
	byPlace := map[string]w3cLine{}
	for _, l := range lines {
		byPlace[fmt.Sprintf("%s:%d", l.fileRel, l.lineNo)] = l
	}
	for _, q := range man.QuietIIS {
		l, ok := byPlace[fmt.Sprintf("%s:%d", q.Path, q.Line)]
		if !ok {
			t.Errorf("look-alike %s:%d (%s) is not a data line", q.Path, q.Line, q.Why)
			continue
		}
		if c := classify(l); len(c) > 0 {
			t.Errorf("look-alike %s:%d (%s) matches %v", q.Path, q.Line, q.Why, c)
		}
	}
	// Benign traffic holds the real parameters that resemble commands
	// (ActiveSync's Cmd=), an IIS restart in the attack day's file, and
	// health probes from the server itself.
	var eas, probes, machine int
	for _, l := range lines {
		if strings.HasPrefix(l.query, "Cmd=") {
			eas++
		}
		if l.ua == "AMProbe/Local/ClientAccess" && (l.ip == "127.0.0.1" || l.ip == "::1") {
			probes++
		}
		if l.site == 2 && strings.HasSuffix(l.user, "$") {
			machine++
		}
	}
	if eas == 0 || probes == 0 || machine == 0 {
		t.Errorf("benign traffic lacks ActiveSync commands (%d), health probes (%d) or machine-account back-end lines (%d)", eas, probes, machine)
	}
	data, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(DefaultIISLogDir), "W3SVC1", "u_ex210303.log"))
	if n := strings.Count(string(data), "#Software: "); n != 2 {
		t.Errorf("the attack day's front-end file has %d header blocks, want 2 (a restart)", n)
	}
}

// TestIncidentTimeline checks the actors, mailboxes and milestones against
// the lines written.
func TestIncidentTimeline(t *testing.T) {
	dir, man := generateDemo(t, func(o *Options) { o.RowsPerHour = 4 })
	lines, _, _ := readIIS(t, filepath.Join(dir, filepath.FromSlash(DefaultIISLogDir)), DefaultIISLogDir)
	proxy := readHttpProxy(t, dir)
	if len(man.Actors) != 4 {
		t.Fatalf("%d actors", len(man.Actors))
	}
	outcome := map[string]string{}
	for _, a := range man.Actors {
		outcome[a.IP] = a.Outcome
		// The actor's lines in both logs lie within FirstSeen..LastSeen,
		// and its first and last are there.
		var first, last time.Time
		seen := func(at time.Time) {
			if first.IsZero() || at.Before(first) {
				first = at
			}
			if at.After(last) {
				last = at
			}
		}
		for _, l := range lines {
			if l.ip == a.IP {
				seen(l.at)
			}
		}
		for _, r := range proxy {
			if r.ip == a.IP {
				seen(r.at)
			}
		}
		// IIS logs whole seconds, HttpProxy milliseconds: the earliest
		// line is the IIS one, the latest the HttpProxy one when there is.
		if !first.Equal(a.FirstSeen.Truncate(time.Second)) {
			t.Errorf("%s: first line at %s, manifest %s", a.IP, first, a.FirstSeen)
		}
		if !last.Equal(a.LastSeen) && !last.Equal(a.LastSeen.Truncate(time.Second)) {
			t.Errorf("%s: last line at %s, manifest %s", a.IP, last, a.LastSeen)
		}
		for _, w := range a.Webshells {
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(w))); err != nil {
				t.Errorf("%s: web shell %s: %v", a.IP, w, err)
			}
		}
		if len(a.UserAgents) == 0 || a.Note == "" {
			t.Errorf("%s: no user agents or note", a.IP)
		}
	}
	if outcome[actorAIP] != OutcomeSuccessful || outcome[actorBIP] != OutcomeProbing || outcome[actorCIP] != OutcomeProbing || outcome[actorDIP] != OutcomeProbing {
		t.Errorf("outcomes %v", outcome)
	}
	a := man.Actors[0]
	if a.IP != actorAIP || len(a.Webshells) != 5 {
		t.Errorf("successful actor %s used %v", a.IP, a.Webshells)
	}
	// The mailbox read is an HttpProxy row of the successful actor.
	if len(man.Mailboxes) != 1 {
		t.Fatalf("mailboxes %v", man.Mailboxes)
	}
	found := false
	for _, r := range proxy {
		found = found || r.ip == actorAIP && r.fields["AnchorMailbox"] == "SMTP:"+man.Mailboxes[0] && r.fields["HttpStatus"] == "200"
	}
	if !found {
		t.Errorf("no HttpProxy row of %s with the anchor SMTP:%s", actorAIP, man.Mailboxes[0])
	}

	m := man.Milestones
	var shellUses []time.Time
	for _, l := range lines {
		if l.ip == actorAIP && classify(l)["iis-webshell-use"] != 0 {
			shellUses = append(shellUses, l.at)
		}
	}
	sort.Slice(shellUses, func(i, j int) bool { return shellUses[i].Before(shellUses[j]) })
	if len(shellUses) == 0 || !shellUses[0].Equal(m.FirstWebshellUse.Truncate(time.Second)) || !shellUses[len(shellUses)-1].Equal(m.LastWebshellUse.Truncate(time.Second)) {
		t.Errorf("web shell use %v..%v, lines %v", m.FirstWebshellUse, m.LastWebshellUse, shellUses)
	}
	var reset, firstAttack time.Time
	for _, r := range proxy {
		if strings.Contains(r.fields["AnchorMailbox"], "schema=ResetOABVirtualDirectory") && r.fields["HttpStatus"] == "200" && (reset.IsZero() || r.at.Before(reset)) {
			reset = r.at
		}
	}
	for _, act := range man.Actors {
		if act.IP != actorCIP && (firstAttack.IsZero() || act.FirstSeen.Before(firstAttack)) {
			firstAttack = act.FirstSeen
		}
	}
	if !m.FirstWebshellWritten.Equal(reset) || !m.FirstAttempt.Equal(firstAttack) {
		t.Errorf("shell written %s (row %s), first attempt %s (actors %s)", m.FirstWebshellWritten, reset, m.FirstAttempt, firstAttack)
	}
	if !m.LastActivity.Equal(m.LastWebshellUse) {
		t.Errorf("last activity %s is not the last shell use %s", m.LastActivity, m.LastWebshellUse)
	}
	order := []time.Time{m.FirstAttempt, m.FirstExploitation, m.FirstWebshellWritten, m.FirstWebshellUse, m.LastWebshellUse, m.Patched}
	for i := 1; i < len(order); i++ {
		if order[i].IsZero() || order[i].Before(order[i-1]) {
			t.Errorf("milestones out of order: %+v", m)
			break
		}
	}
	if !m.Patched.Equal(March2021Update.Installed) || m.FirstExploitation.Format(time.RFC3339Nano) != "2021-03-03T06:49:43.699Z" {
		t.Errorf("patched %s, first exploitation %s", m.Patched, m.FirstExploitation)
	}

	// A clean server has no incident; one without the fix has no patch time.
	_, clean := generateDemo(t, func(o *Options) { o.Attacks, o.RowsPerHour = false, 1 })
	if len(clean.Actors) != 0 || len(clean.ExpectedIIS) != 0 || !clean.Milestones.FirstAttempt.IsZero() {
		t.Errorf("clean server with an incident: %+v", clean.Actors)
	}
	_, unpatched := generateDemo(t, func(o *Options) { o.Updates, o.RowsPerHour = nil, 1 })
	if !unpatched.Milestones.Patched.IsZero() {
		t.Errorf("patched at %s without updates", unpatched.Milestones.Patched)
	}
}

type proxyRow struct {
	at     time.Time
	ip     string
	fields map[string]string
}

// readHttpProxy reads the planted-looking HttpProxy rows (all of them;
// the demo is small) with a plain CSV reading good enough for the test.
func readHttpProxy(t *testing.T, dir string) []proxyRow {
	t.Helper()
	var rows []proxyRow
	base := filepath.Join(dir, filepath.FromSlash(DefaultInstallDir), "Logging", "HttpProxy")
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var names []string
		for _, l := range strings.Split(string(data), "\r\n") {
			if rest, ok := strings.CutPrefix(l, "#Fields: "); ok {
				names = strings.Split(rest, ",")
				continue
			}
			if l == "" || l[0] == '#' || !strings.HasPrefix(l, "20") {
				continue
			}
			vals := splitCSV(l)
			row := map[string]string{}
			for i, n := range names {
				if i < len(vals) {
					row[n] = vals[i]
				}
			}
			at, err := time.Parse("2006-01-02T15:04:05.000Z", row["DateTime"])
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			rows = append(rows, proxyRow{at: at, ip: row["ClientIpAddress"], fields: row})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func splitCSV(l string) []string {
	var out []string
	var b strings.Builder
	quoted := false
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case quoted && c == '"' && i+1 < len(l) && l[i+1] == '"':
			b.WriteByte('"')
			i++
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			out = append(out, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(out, b.String())
}

// TestIISLogFolders: a custom log folder named in applicationHost.config,
// the previous one in the configuration history, logs in both.
func TestIISLogFolders(t *testing.T) {
	dir, man := generateDemo(t, func(o *Options) { o.IISLogDir, o.IISPreviousLogDir, o.RowsPerHour = "C:/Logs/IIS", "OldLogs", 2 })
	cfg := readConfig(t, filepath.Join(dir, "Windows", "System32", "inetsrv", "config", "applicationHost.config"))
	old := readConfig(t, filepath.Join(dir, "inetpub", "history", "CFGHISTORY_0000000001", "applicationHost.config"))
	for _, c := range []struct {
		cfg  *root.IISConfig
		want string
	}{{cfg, `%SystemDrive%\Logs\IIS`}, {old, `%SystemDrive%\OldLogs`}} {
		if len(c.cfg.Sites) != 2 || c.cfg.Sites[0].Name != "Default Web Site" || c.cfg.Sites[1].Name != "Exchange Back End" {
			t.Fatalf("sites %+v", c.cfg.Sites)
		}
		for _, s := range c.cfg.Sites {
			if s.LogDirectory != c.want {
				t.Errorf("site %s logs to %q, want %q", s.Name, s.LogDirectory, c.want)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(DefaultIISLogDir))); err == nil {
		t.Error("logs in the default folder too")
	}
	newLines, newFiles, newSize := readIIS(t, filepath.Join(dir, "Logs", "IIS"), "Logs/IIS")
	oldLines, oldFiles, oldSize := readIIS(t, filepath.Join(dir, "OldLogs"), "OldLogs")
	if newFiles+oldFiles != man.IISLogFiles || newSize+oldSize != man.IISLogBytes || oldFiles == 0 || newFiles == 0 {
		t.Errorf("files %d+%d, bytes %d+%d; manifest %d, %d", newFiles, oldFiles, newSize, oldSize, man.IISLogFiles, man.IISLogBytes)
	}
	// The move is half-way: the old folder ends where the new one starts,
	// and the day of the move has a file in both.
	move := DemoOptions().Start.Add(30 * time.Hour)
	for _, l := range oldLines {
		if !l.at.Before(move) {
			t.Fatalf("%s:%d at %s is after the move", l.fileRel, l.lineNo, l.at)
		}
	}
	for _, l := range newLines {
		if l.at.Before(move) {
			t.Fatalf("%s:%d at %s is before the move", l.fileRel, l.lineNo, l.at)
		}
	}
	for _, w := range []string{"OldLogs/W3SVC1/u_ex210303.log", "Logs/IIS/W3SVC1/u_ex210303.log"} {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(w))); err != nil {
			t.Error(err)
		}
	}
	where := map[string]int{}
	for _, e := range man.ExpectedIIS {
		where[strings.SplitN(e.Path, "/W3SVC", 2)[0]]++
		if e.Volume != "C" {
			t.Errorf("%+v on volume %s", e, e.Volume)
		}
	}
	if where["OldLogs"] == 0 || where["Logs/IIS"] == 0 || len(where) != 2 {
		t.Errorf("expected findings by folder: %v", where)
	}

	// On Exchange's volume.
	vol := t.TempDir()
	_, man = generateDemo(t, func(o *Options) {
		o.IISLogDir, o.ExchangeVolume, o.VolumeDir, o.RowsPerHour = "D:/IISLogs", "D", vol, 1
	})
	if _, files, _ := readIIS(t, filepath.Join(vol, "IISLogs"), "IISLogs"); files == 0 {
		t.Error("no logs on D:")
	}
	for _, e := range man.ExpectedIIS {
		if e.Volume != "D" && !strings.HasPrefix(e.Path, DefaultIISLogDir+"/") {
			t.Errorf("%+v: the new folder is on D:", e)
		}
	}
	// A drive the generator cannot map is an error.
	if _, err := Generate(t.TempDir(), Options{IISLogDir: "E:/logs", Attacks: true}); err == nil {
		t.Error("IISLogDir on an unmapped drive accepted")
	}
}

func readConfig(t *testing.T, p string) *root.IISConfig {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := root.ParseIISConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestDeterministic: the same options give the same server, byte for byte.
func TestDeterministic(t *testing.T) {
	edit := func(o *Options) { o.RowsPerHour = 3 }
	a, ma := generateDemo(t, edit)
	b, mb := generateDemo(t, edit)
	sums := func(dir string) map[string][32]byte {
		out := map[string][32]byte{}
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				data, _ := os.ReadFile(p)
				rel, _ := filepath.Rel(dir, p)
				out[rel] = sha256.Sum256(data)
			}
			return nil
		})
		return out
	}
	if !reflect.DeepEqual(sums(a), sums(b)) {
		t.Error("two servers from one seed differ")
	}
	ma.Root, mb.Root = "", ""
	if !reflect.DeepEqual(ma, mb) {
		t.Error("two manifests from one seed differ")
	}
}

// TestIISTargetSize: the IIS logs are sized apart from Exchange's.
func TestIISTargetSize(t *testing.T) {
	_, man := generateDemo(t, func(o *Options) { o.IISTargetBytes, o.RowsPerHour = 30<<20, 2 })
	if ratio := float64(man.IISLogBytes) / float64(30<<20); ratio < 0.9 || ratio > 1.1 {
		t.Errorf("asked for %d bytes of IIS logs, got %d (%.2f)", 30<<20, man.IISLogBytes, ratio)
	}
	if exchange := man.LogBytes - man.IISLogBytes; exchange > 5<<20 {
		t.Errorf("the Exchange logs grew with the IIS size: %d", exchange)
	}
	_, none := generateDemo(t, func(o *Options) { o.NoIISLogs, o.RowsPerHour = true, 1 })
	if none.IISLogFiles != 0 || len(none.ExpectedIIS) != 0 {
		t.Errorf("NoIISLogs wrote %d files", none.IISLogFiles)
	}
}

// TestIISBenignDoesNotAllocate: the benchmark writes gigabytes of benign
// lines; they are built in reused buffers.
func TestIISBenignDoesNotAllocate(t *testing.T) {
	g := &generator{opt: DemoOptions()}
	g.opt.defaults()
	tr := g.newIISTraffic()
	var fe, be []byte
	var clock [19]byte
	formatClock(&clock, attackDay.UnixMilli())
	for i := 0; i < 100; i++ { // grow the buffers
		fe, be, _ = tr.request(fe[:0], be[:0], clock[:])
	}
	if n := testing.AllocsPerRun(1000, func() {
		fe, be, _ = tr.request(fe[:0], be[:0], clock[:])
	}); n != 0 {
		t.Errorf("%.1f allocations per benign request", n)
	}
}

func TestFormatClock(t *testing.T) {
	for _, at := range []time.Time{attackDay, time.Date(2000, 2, 29, 23, 59, 59, 999e6, time.UTC), time.Date(2026, 12, 31, 0, 0, 1, 0, time.UTC), time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)} {
		var c [19]byte
		formatClock(&c, at.UnixMilli())
		if string(c[:]) != at.Format("2006-01-02 15:04:05") {
			t.Errorf("%s: %s", at, c)
		}
	}
}

func BenchmarkIISTraffic(b *testing.B) {
	g := &generator{opt: DemoOptions()}
	g.opt.defaults()
	tr := g.newIISTraffic()
	var fe, be []byte
	var clock [19]byte
	formatClock(&clock, attackDay.UnixMilli())
	b.ReportAllocs()
	for b.Loop() {
		fe, be, _ = tr.request(fe[:0], be[:0], clock[:])
		b.SetBytes(int64(len(fe) + len(be) + 4))
	}
}
