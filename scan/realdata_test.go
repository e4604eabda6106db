package scan

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/result"

	"github.com/exhunt/exhunt/finding"
)

// sharedData is the project's real public sample data, beside the checkout.
const sharedData = "../../shared/data/logs"

func needSharedData(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(sharedData); err != nil {
		t.Skip("real sample data not present at " + sharedData)
	}
}

func place(t *testing.T, src, root, rel string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

const logging = "Program Files/Microsoft/Exchange Server/V15/Logging/"

// TestRealIncident scans the excerpts of a real March 2021 compromise
// (helsecert): Test-ProxyLogon's CSV of the HttpProxy rows and the ECP
// Server lines, placed where Exchange writes those logs.
func TestRealIncident(t *testing.T) {
	needSharedData(t)
	root := t.TempDir()
	httpProxy := logging + "HttpProxy/Ecp/HttpProxy_2021030306-1.LOG"
	ecp := logging + "ECP/Server/ECPServer20210303-1.LOG"
	place(t, filepath.Join(sharedData, "incident-helsecert/httpproxy_ecp_testproxylogon_cve26855_hits.csv"), root, httpProxy)
	place(t, filepath.Join(sharedData, "incident-helsecert/ecpserver_cve27065_excerpt.log"), root, ecp)

	res := runScan(t, root, Config{})
	count := map[string]int{}
	for _, f := range res.Findings {
		if f.Severity > finding.Info {
			count[f.Rule+" "+f.Severity.String()]++
		}
	}
	// The 11 rows of ServerInfo~*/*: two reached only autodiscover; nine
	// reached the back end (Test-ProxyLogon's 9 hits); one of them reset
	// the OAB virtual directory with status 200.
	want := map[string]int{
		"proxylogon-ssrf-autodiscover low": 2,
		"proxylogon-ssrf-backend high":     9,
		"proxylogon-reset-vdir critical":   1,
		"proxylogon-vdir-script high":      2,
	}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%s: %d findings, want %d", k, count[k], n)
		}
	}
	for k, n := range count {
		if want[k] == 0 {
			t.Errorf("unexpected %s: %d", k, n)
		}
	}
	// The ECP findings point at the two lines that set the script.
	data, _ := os.ReadFile(filepath.Join(root, ecp))
	var scriptLines []int
	for i, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, "ExternalUrl=''http://f/<script") {
			scriptLines = append(scriptLines, i+1)
		}
	}
	var gotLines []int
	for _, f := range res.Findings {
		if f.Rule == "proxylogon-vdir-script" {
			gotLines = append(gotLines, f.Line)
			if !strings.Contains(f.Evidence.Get("Value"), "Page_Load") || f.Evidence.Get("Cmdlet") != "Set-OabVirtualDirectory" || f.Evidence.Get("Property") != "ExternalUrl" {
				t.Errorf("evidence does not show the script: %v", f.Evidence)
			}
		}
	}
	if len(scriptLines) != 2 || len(gotLines) != 2 || scriptLines[0] != gotLines[0] && scriptLines[0] != gotLines[1] {
		t.Errorf("script lines %v, findings at %v", scriptLines, gotLines)
	}
	if res.Verdict.Level != result.VerdictCompromised || res.Verdict.FirstCompromise.Format("2006-01-02T15:04:05") != "2021-03-03T06:49:43" {
		t.Errorf("verdict %s since %v", res.Verdict.Level, res.Verdict.FirstCompromise)
	}
}

// TestRealBenignSamples scans real benign Exchange 2016 CU22 and 2013 logs,
// which include internet scanner noise, placed in their folders: nothing of
// medium severity or above, no forged-request finding.
func TestRealBenignSamples(t *testing.T) {
	needSharedData(t)
	root := t.TempDir()
	files, _ := filepath.Glob(filepath.Join(sharedData, "exchange-2016-cu22-samples", "*.LOG"))
	more, _ := filepath.Glob(filepath.Join(sharedData, "exchange-2013-samples", "*.LOG"))
	files = append(files, more...)
	if len(files) < 10 {
		t.Fatalf("only %d sample files", len(files))
	}
	httpProxyFiles := 0
	for _, f := range files {
		name := filepath.Base(f)
		rel := logging + "Other/" + name
		switch {
		case strings.Contains(name, "__HttpProxy_"):
			proto, file, _ := strings.Cut(name, "__")
			rel = logging + "HttpProxy/" + proto + "/" + file
			httpProxyFiles++
		case strings.HasPrefix(name, "ECPServer"):
			rel = logging + "ECP/Server/" + name
		case strings.HasPrefix(name, "ECPActivity"):
			rel = logging + "ECP/Activity/" + name
		}
		place(t, f, root, rel)
	}
	res := runScan(t, root, Config{})
	for _, f := range res.Findings {
		if f.Severity >= finding.Medium || strings.HasPrefix(f.Rule, "proxylogon-") {
			t.Errorf("finding on benign real logs: %s %s %s:%d %v", f.Severity, f.Rule, f.Path, f.Line, f.Evidence)
		}
	}
	if len(res.Errors) > 0 {
		t.Errorf("errors on real logs: %+v", res.Errors)
	}
	covered := 0
	for _, c := range res.Coverage {
		if c.Family == "HttpProxy" {
			covered += c.Files
			if c.Oldest.IsZero() {
				t.Errorf("no time span for %s/%s", c.Family, c.Folder)
			}
		}
	}
	if covered != httpProxyFiles {
		t.Errorf("coverage counts %d HttpProxy files, placed %d", covered, httpProxyFiles)
	}
}

// TestRealIncidentShellRequests scans the incident's HttpProxy OWA excerpts:
// the authors kept six columns under their own names (one file has the
// client IP as an extra unnamed column), so the rows are put back into
// HttpProxy fields by position before scanning.
func TestRealIncidentShellRequests(t *testing.T) {
	needSharedData(t)
	root := t.TempDir()
	var rows []string
	for _, name := range []string{"httpproxy_owa_ip1_excerpt.csv", "httpproxy_owa_ip2_excerpt.csv"} {
		data, err := os.ReadFile(filepath.Join(sharedData, "incident-helsecert", name))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			f := strings.Split(strings.TrimRight(line, "\r"), ",")
			if len(f) < 6 || !strings.HasPrefix(f[0], "2021-") {
				continue // header and separator lines
			}
			ip := ""
			if len(f) == 7 {
				ip = f[4]
			}
			// DateTime,UrlHost,UrlStem,UserAgent,ClientIpAddress,HttpStatus,Method
			rows = append(rows, strings.Join([]string{f[0], f[1], f[2], f[3], ip, f[len(f)-2], f[len(f)-1]}, ","))
		}
	}
	content := "#Fields: DateTime,UrlHost,UrlStem,UserAgent,ClientIpAddress,HttpStatus,Method\r\n" + strings.Join(rows, "\r\n") + "\r\n"
	rel := logging + "HttpProxy/Owa/HttpProxy_2021030517-1.LOG"
	if err := os.MkdirAll(filepath.Dir(filepath.Join(root, rel)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, rel), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runScan(t, root, Config{MaxFindingsPerFile: 1000})
	count := map[string]int{}
	for _, f := range res.Findings {
		if f.Severity > finding.Info {
			count[f.Rule+" "+f.Severity.String()]++
		}
	}
	// 5 requests answered 200 by RedirSuiteServerProxy.aspx; 69 probes of
	// shell names that got a redirect.
	want := map[string]int{"webshell-request-success critical": 5, "webshell-request-probe low": 69}
	if len(rows) != 74 || len(count) != len(want) {
		t.Errorf("%d rows, findings %v", len(rows), count)
	}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%s: %d, want %d (all: %v)", k, count[k], n, count)
		}
	}
}

// TestRealIISLogs scans the real IIS W3C samples where IIS writes them:
// the web shell use of the real 2021 incident (helsecert: the shell
// /owa/auth/RedirSuiteServerProxy.aspx, a look-alike of Exchange's own
// RedirSuiteServiceProxy.aspx, answered 200 five times, then 302 three
// times once it was gone), a Tunna tunnel through a web shell, a
// hand-written web shell line, and ordinary traffic that must stay quiet.
func TestRealIISLogs(t *testing.T) {
	needSharedData(t)
	root := t.TempDir()
	const logs = "inetpub/logs/LogFiles/"
	place(t, filepath.Join(sharedData, "incident-helsecert/iis_w3svc1_webshell_access_excerpt.log"), root, logs+"W3SVC1/u_ex210305.log")
	place(t, filepath.Join(sharedData, "iis/Tunna_rdp_tunnel_IIS.log"), root, logs+"W3SVC3/u_ex190903.log")
	place(t, filepath.Join(sharedData, "exchange-2016-cu22-samples/iis_u_ex_webshell_example.log"), root, logs+"W3SVC1/u_ex231225.log")
	place(t, filepath.Join(sharedData, "exchange-2013-samples/W3SVC_u_ex_sample.log"), root, logs+"W3SVC1/u_ex170531.log")
	os.MkdirAll(filepath.Join(root, "Windows/System32"), 0o755)

	res := runScan(t, root, Config{})
	var got []string
	activity := 0
	for _, f := range res.Findings {
		switch {
		case f.Rule == "attacker-activity":
			activity++
		case f.Severity > finding.Info:
			got = append(got, f.Rule+" "+f.Severity.String()+" "+filepath.Base(f.Path)+":"+itoa(f.Line)+" "+f.SourceIP)
		}
	}
	want := []string{
		"iis-webshell-use critical u_ex210305.log:1 139.162.202.236",
		"iis-webshell-use critical u_ex210305.log:2 139.162.202.236",
		"iis-webshell-use critical u_ex210305.log:4 67.205.176.9",
		"iis-webshell-use critical u_ex210305.log:5 67.205.176.9",
		"iis-webshell-use critical u_ex210305.log:6 67.205.176.9",
		"iis-webshell-command high u_ex231225.log:3 1.2.3.4",
		"iis-webshell-use critical u_ex231225.log:3 1.2.3.4",
		// Tunna opened its tunnel three times, twice after IIS restarted.
		"iis-webshell-tunnel critical u_ex190903.log:7 10.0.2.17",
		"iis-webshell-tunnel critical u_ex190903.log:2606 10.0.2.17",
		"iis-webshell-tunnel critical u_ex190903.log:2629 10.0.2.17",
		"iis-webshell-probe low u_ex210305.log:8 67.205.176.9",
		"iis-webshell-probe low u_ex210305.log:9 67.205.176.9",
		"iis-webshell-probe low u_ex210305.log:10 67.205.176.9",
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if res.Verdict.Level != result.VerdictCompromised {
		t.Errorf("verdict %s", res.Verdict.Level)
	}
	// The tunnel's client is followed: its 4,297 other requests are its
	// session's background (listed up to the per-file bound).
	if activity < 900 {
		t.Errorf("%d attacker-activity findings; the Tunna client's requests should be followed", activity)
	}
	if res.Timeline == nil || len(res.Sessions) == 0 {
		t.Fatalf("no timeline or sessions")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
