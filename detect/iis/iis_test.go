package iis

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/source/literal"
)

// w3cFields is the field list Exchange's IIS sites log by default.
var w3cFields = strings.Fields("date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken")

// fakeRecord is a W3C line split on spaces, for the detectors' tests.
type fakeRecord struct{ fields []string }

func (r fakeRecord) index(name string) int {
	for i, f := range w3cFields {
		if strings.EqualFold(f, name) {
			return i
		}
	}
	return -1
}

func (r fakeRecord) Get(name string) string {
	if i := r.index(name); i >= 0 && i < len(r.fields) {
		return r.fields[i]
	}
	return ""
}
func (r fakeRecord) Has(name string) bool { return r.index(name) >= 0 }
func (r fakeRecord) Field(i int) string {
	if i < len(r.fields) {
		return r.fields[i]
	}
	return ""
}
func (r fakeRecord) NumFields() int { return len(r.fields) }
func (r fakeRecord) Time() (time.Time, bool) {
	t, err := time.Parse("2006-01-02 15:04:05", r.Get("date")+" "+r.Get("time"))
	return t, err == nil
}

// line builds a W3C line from the fields that matter.
func line(method, stem, query, user, client, ua, status string) string {
	return strings.Join([]string{"2021-03-03", "07:00:01", "10.0.0.5", method, stem, query, "443", user, client, ua, "-", status, "0", "0", "15"}, " ")
}

// run hands the line to every IIS detector as the scan would: only when a
// literal of the detector is in it and its precheck passes.
func run(t *testing.T, ctx *detect.Context, text string) []string {
	t.Helper()
	rec := &detect.LogRecord{RecordFields: fakeRecord{strings.Fields(text)}, Path: "u_ex210303.log", Folder: "W3SVC1", Line: 7, Raw: []byte(text)}
	var got []string
	for _, d := range []detect.LogDetector{FrontDoor{}, Webshells{}, Commands{}, BackendResetVDir{}, Tunnels{}, UserAgents{}} {
		lits := d.Literals()
		if cl, ok := d.(detect.ContextLiterals); ok {
			lits = cl.LiteralsFor(ctx)
		}
		if !literal.NewMatcher(lits...).Contains(rec.Raw) {
			continue
		}
		if p, ok := d.(interface{ Precheck([]byte) bool }); ok && !p.Precheck(rec.Raw) {
			continue
		}
		if p, ok := d.(detect.ContextPrecheck); ok {
			if f := p.PrecheckFor(ctx); f == nil || !f(rec.Raw) {
				continue
			}
		}
		d.Inspect(ctx, rec, func(f finding.Finding) {
			if f.Path != rec.Path || f.Line != rec.Line || f.Time == nil {
				t.Errorf("%s: finding at %s:%d time %v", f.Rule, f.Path, f.Line, f.Time)
			}
			got = append(got, f.Rule+" "+f.Severity.String())
		})
	}
	sort.Strings(got)
	return got
}

const browser = "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/88.0.4324.182+Safari/537.36"

func TestIISDetectors(t *testing.T) {
	served := &detect.ServedFiles{}
	served.Add("/owa/auth/Current/themes/resources/logon.aspx", detect.ServedFile{Path: "x/logon.aspx", Rule: "content-webshell"})
	// Exchange's own log-on page with a shell appended: users load it
	// every day, only POSTs to it drive the shell.
	served.Add("/owa/auth/logon.aspx", detect.ServedFile{Path: "y/logon.aspx", Rule: "content-webshell"})
	ctx := &detect.Context{Served: served}
	const fe = "&CorrelationID=<empty>;&cafeReqId=cde28fc4-299e-4179-b3e9-de56f5c1d9ee;"
	tests := []struct {
		name, line string
		want       []string
	}{
		// True positives.
		{"ssrf front door", line("POST", "/ecp/y.js", fe, "-", "130.255.189.21", "python-requests/2.25.1", "200"), []string{"iis-attacker-user-agent medium", "iis-ssrf-front-door medium"}},
		{"random 3-char js", line("POST", "/ecp/Q7x.js", fe, "-", "1.2.3.4", "-", "500"), []string{"iis-ssrf-front-door medium"}},
		{"default.flt", line("POST", "/ecp/default.flt", fe, "-", "1.2.3.4", "-", "200"), []string{"iis-ssrf-front-door medium"}},
		{"nse scan", line("GET", "/owa/auth/x.js", fe, "-", "1.2.3.4", "-", "500"), []string{"iis-ssrf-front-door low"}},
		{"post static resource", line("POST", "/owa/auth/Current/themes/resources/logon.css", fe, "-", "1.2.3.4", "DuckDuckBot/1.0;+(+http://duckduckgo.com/duckduckbot.html)", "200"), []string{"iis-attacker-user-agent medium", "iis-exploit-post-target medium"}},
		{"ecp post ua", line("POST", "/ecp/y.js", fe, "-", "1.2.3.4", "ExchangeServicesClient/0.0.0.0", "200"), []string{"iis-attacker-user-agent medium", "iis-ssrf-front-door medium"}},
		{"antsword", line("POST", "/aspnet_client/a.aspx", "-", "-", "1.2.3.4", "antSword/v2.1", "200"), []string{"iis-attacker-user-agent medium", "iis-webshell-use critical"}},
		{"crawler get is quiet", line("GET", "/owa/auth/Current/themes/resources/logon.css", fe, "-", "66.249.66.1", "DuckDuckBot/1.0;+(+http://duckduckgo.com/duckduckbot.html)", "200"), nil},
		{"ua out of context", line("POST", "/EWS/Exchange.asmx", "-", "-", "1.2.3.4", "python-requests/2.25.1", "200"), nil},
		{"helsecert shell use", line("GET", "/owa/auth/RedirSuiteServerProxy.aspx", fe, "-", "139.162.202.236", browser, "200"), []string{"iis-webshell-use critical"}},
		{"shell server error", line("POST", "/aspnet_client/discover.aspx", "-", "-", "1.2.3.4", "-", "500"), []string{"iis-webshell-use high"}},
		{"shell found on disk", line("POST", "/owa/auth/Current/themes/resources/logon.aspx", "-", "-", "1.2.3.4", "-", "200"), []string{"iis-exploit-post-target medium", "iis-webshell-use critical"}},
		{"probe 302", line("GET", "/aspnet_client/shell.aspx", "-", "-", "5.6.7.8", "-", "302"), []string{"iis-webshell-probe low"}},
		{"probe 404 owa", line("GET", "/owa/auth/errorPage.aspx", fe, "-", "5.6.7.8", "-", "404"), []string{"iis-webshell-probe low"}},
		{"command on shell", line("GET", "/aspnet_client/system_web/log.aspx", "cmd=whoami", "-", "1.2.3.4", "-", "200"), []string{"iis-webshell-command high", "iis-webshell-use critical"}},
		{"encoded command", line("POST", "/owa/auth/one.aspx", "c=cmd%20/c%20net%20user", "-", "1.2.3.4", "-", "200"), []string{"iis-webshell-command high", "iis-webshell-use critical"}},
		{"plus command", line("GET", "/x.aspx", "z=net+user+admin", "-", "1.2.3.4", "-", "404"), []string{"iis-webshell-command high"}},
		{"backend reset", line("POST", "/ecp/DDI/DDIService.svc/SetObject", "schema=ResetOABVirtualDirectory&msExchEcpCanary=x", `CONTOSO\EX01$`, "10.0.0.5", "python-requests/2.25.1", "200"), []string{"iis-attacker-user-agent medium", "iis-backend-reset-vdir critical"}},
		{"backend reset refused", line("POST", "/ecp/DDI/DDIService.svc/SetObject", "msExchEcpCanary=x&schema=ResetOABVirtualDirectory", "EX01$", "10.0.0.5", "-", "500"), []string{"iis-backend-reset-vdir medium"}},

		{"tunna", line("GET", "/erp/conn.aspx", "proxy&port=3389&ip=127.0.0.1", "-", "10.0.2.17", "-", "200"), []string{"iis-webshell-tunnel critical"}},
		{"regeorg refused", line("POST", "/aspnet_client/tunnel.aspx", "cmd=connect&target=10.0.0.9&port=445", "-", "1.2.3.4", "-", "404"), []string{"iis-webshell-probe low", "iis-webshell-tunnel high"}},

		{"post to modified own page", line("POST", "/owa/auth/logon.aspx", "-", "-", "1.2.3.4", "-", "200"), []string{"iis-webshell-use critical"}},

		// Legitimate requests that must stay quiet.
		{"users load the modified own page", line("GET", "/owa/auth/logon.aspx", "url=https%3a%2f%2fmail%2fowa%2f&reason=0", "-", "10.1.1.1", browser, "200"), nil},
		{"activesync ping", line("POST", "/Microsoft-Server-ActiveSync/default.eas", "Cmd=Ping&User=john&DeviceId=ABC&DeviceType=iPhone", `CONTOSO\john`, "10.1.1.1", "Apple-iPhone", "200"), nil},
		{"proxy word", line("GET", "/owa/service.svc", "action=proxy&port=1", `CONTOSO\john`, "10.1.1.1", browser, "200"), nil},
		{"connect word", line("GET", "/owa/service.svc", "cmd=connect&x=1", `CONTOSO\john`, "10.1.1.1", browser, "200"), nil},
		{"own redir page", line("GET", "/owa/auth/RedirSuiteServiceProxy.aspx", fe, "-", "10.1.1.1", browser, "200"), nil},
		{"logon page", line("GET", "/owa/auth/logon.aspx", "url=https%3a%2f%2fmail%2fowa%2f&reason=0", "-", "10.1.1.1", browser, "200"), nil},
		{"timeout logout", line("GET", "/ecp/auth/TimeoutLogout.aspx", fe, "-", "10.1.1.1", browser, "200"), nil},
		{"static css GET", line("GET", "/owa/auth/Current/themes/resources/logon.css", fe, "-", "10.1.1.1", browser, "200"), nil},
		{"ecp page", line("POST", "/ecp/DDI/DDIService.svc/GetList", "schema=MailboxService&msExchEcpCanary=x", `CONTOSO\admin`, "10.1.1.1", browser, "200"), nil},
		{"ecp long js", line("POST", "/ecp/scripts/abcd.js", fe, "-", "10.1.1.1", browser, "200"), nil},
		{"ecp js GET", line("GET", "/ecp/y.js", fe, "-", "10.1.1.1", browser, "200"), nil},
		{"activesync cmd", line("POST", "/Microsoft-Server-ActiveSync/default.eas", "Cmd=Sync&User=john&DeviceId=ABC&DeviceType=iPhone", `CONTOSO\john`, "10.1.1.1", "Apple-iPhone", "200"), nil},
		{"set object by user", line("POST", "/ecp/DDI/DDIService.svc/SetObject", "schema=ResetOABVirtualDirectory", `CONTOSO\admin`, "10.1.1.1", browser, "200"), nil},
		{"set object other schema", line("POST", "/ecp/DDI/DDIService.svc/SetObject", "schema=OABVirtualDirectory", `EX01$`, "10.0.0.5", "-", "200"), nil},
		{"net word alone", line("GET", "/owa/service.svc", "action=net&app=Mail", `CONTOSO\john`, "10.1.1.1", browser, "200"), nil},
		{"aspnet_client js", line("GET", "/aspnet_client/system_web/4_0_30319/WebUIValidation.js", "-", "-", "10.1.1.1", browser, "200"), nil},
	}
	for _, tc := range tests {
		got := run(t, ctx, tc.line)
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCommandIn(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want string
	}{
		{"cmd=whoami", "whoami"},
		{"a=1&c=powershell+-enc+AAAA", "powershell -enc AAAA"},
		{"x=%77hoami", "whoami"},
		{"x=ipconfig%20/all", "ipconfig /all"},
		{"Cmd=Sync&User=x", ""},
		{"q=netflix", ""},
		{"q=net", ""},
		{"q=%zz&w=cmd.exe", "cmd.exe"},
	} {
		got, _ := commandIn(tc.q)
		if got != tc.want {
			t.Errorf("commandIn(%q) = %q, want %q", tc.q, got, tc.want)
		}
	}
}
