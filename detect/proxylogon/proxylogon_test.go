package proxylogon

import (
	"strings"
	"testing"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/source/exlog"
	"github.com/exhunt/exhunt/source/literal"
)

// inspect runs a detector on one CSV record under the given field list,
// through the same reader the scan uses, and returns "rule severity" of each
// finding.
func inspect(t *testing.T, d detect.LogDetector, ctx *detect.Context, fields []string, line string) []string {
	t.Helper()
	text := "#Fields: " + strings.Join(fields, ",") + "\n" + line + "\n"
	rd := exlog.NewReader(exlog.Options{Matcher: literal.NewMatcher(d.Literals()...)})
	var out []string
	_, err := rd.Read(strings.NewReader(text), func(r *exlog.Record) {
		if p, ok := d.(interface{ Precheck([]byte) bool }); ok && !p.Precheck(r.Raw) {
			return
		}
		rec := &detect.LogRecord{RecordFields: r, Line: r.Line, Raw: r.Raw, Path: "x.log"}
		d.Inspect(ctx, rec, func(f finding.Finding) {
			if f.Line != 2 || f.Path != "x.log" {
				t.Errorf("finding at %s:%d, want x.log:2", f.Path, f.Line)
			}
			out = append(out, f.Rule+" "+f.Severity.String())
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var proxyFields = []string{"DateTime", "RequestId", "ClientIpAddress", "UrlStem", "AnchorMailbox", "UserAgent", "HttpStatus", "BackEndCookie", "AuthenticatedUser"}

func proxyLine(anchor, status, cookie string) string {
	return "2021-03-03T06:49:43.699Z,r1,203.0.113.45,/ecp/y.js," + anchor + ",python-requests/2.25.1," + status + "," + cookie + ","
}

func TestSSRF(t *testing.T) {
	tests := []struct {
		name, anchor, status, cookie string
		want                         string
	}{
		// True positives, graded.
		{"back end, success", "ServerInfo~a]@ex01.contoso.local:444/mapi/emsmdb/?#", "200", "", "proxylogon-ssrf-backend high"},
		{"proxyLogon.ecp answers 241", "ServerInfo~a]@ex01:444/ecp/proxyLogon.ecp?#", "241", "", "proxylogon-ssrf-backend high"},
		{"back end, failed", "ServerInfo~a]@ex01:444/ecp/DDI/DDIService.svc/GetObject?#", "500", "", "proxylogon-ssrf-backend medium"},
		{"back end, 401", "ServerInfo~a]@ex01:444/ews/exchange.asmx?#", "401", "", "proxylogon-ssrf-backend medium"},
		{"back end, no status", "ServerInfo~a]@ex01:444/ecp/x?#", "", "", "proxylogon-ssrf-backend high"},
		{"prefix in another case", "SERVERINFO~a]@ex01:444/ecp/x?#", "200", "", "proxylogon-ssrf-backend high"},
		{"autodiscover only", "ServerInfo~a]@ex01:444/autodiscover/autodiscover.xml?#", "200", "", "proxylogon-ssrf-autodiscover low"},
		{"autodiscover in another case", "ServerInfo~akak]@ex01/AutoDiscover/autodiscover.xml#", "200", "", "proxylogon-ssrf-autodiscover low"},
		{"autodiscover only later in the path", "ServerInfo~a]@ex01:444/ecp/DDI/DDIService.svc/GetList?/autodiscover", "200", "", "proxylogon-ssrf-backend high"},
		{"localhost scanner probe", "ServerInfo~localhost/ecp/default.flt?", "500", "", "proxylogon-ssrf-localhost-probe low"},
		{"localhost probe of a static file that answered", "ServerInfo~localhost/ecp/default.flt?", "200", "", "proxylogon-ssrf-localhost-probe low"},
		{"localhost back end that answered", "ServerInfo~localhost:444/ecp/DDI/DDIService.svc/GetObject?schema=OABVirtualDirectory#", "200", "", "proxylogon-ssrf-backend high"},
		{"BackEndCookie form", "", "241", "Server~a]@ex01:444/ecp/proxyLogon.ecp?~1942062522", "proxylogon-ssrf-backend high"},
		{"quoted anchor with a comma", `"ServerInfo~a]@ex01:444/ecp/DDI/x?a=1,2#"`, "200", "", "proxylogon-ssrf-backend high"},
		// Scanner probes: out-of-band hosts whatever the path and status,
		// static files whatever the host.
		{"Burp Collaborator, default.flt, 500", "ServerInfo~burpcollaborator.net/ecp/default.flt?", "500", "", "proxylogon-ssrf-probe low"},
		{"Burp Collaborator sub-domain, 200", "ServerInfo~k3j9x0.burpcollaborator.net/ecp/default.flt?", "200", "", "proxylogon-ssrf-probe low"},
		{"Burp Collaborator, dynamic path, 200", "ServerInfo~k3j9x0.BurpCollaborator.NET/ecp/DDI/DDIService.svc/GetObject?#", "200", "", "proxylogon-ssrf-probe low"},
		{"oastify with user and port, 302", "ServerInfo~a]@x1y2.oastify.com:443/owa/auth/logon.aspx?", "302", "", "proxylogon-ssrf-probe low"},
		{"oastify with a trailing dot, 404", "ServerInfo~x1y2.oastify.com./mapi/emsmdb/?#", "404", "", "proxylogon-ssrf-probe low"},
		{"interact.sh, 500", "ServerInfo~c8f1a2b3d4.interact.sh/ecp/x.js?", "500", "", "proxylogon-ssrf-probe low"},
		{"interactsh default server, no status", "ServerInfo~c8f1a2b3d4.oast.fun/ecp/proxyLogon.ecp?#", "", "", "proxylogon-ssrf-probe low"},
		{"out-of-band host in the BackEndCookie form", "", "500", "Server~abc.oast.pro/ecp/default.flt?~1942062522", "proxylogon-ssrf-probe low"},
		{"default.flt on another host, 500", "ServerInfo~scanner.example.org/ecp/default.flt?", "500", "", "proxylogon-ssrf-probe low"},
		{"default.flt on the back end, 200", "ServerInfo~a]@ex01:444/ecp/default.flt?~3", "200", "", "proxylogon-ssrf-probe low"},
		{"logon.aspx on the back end, 200", "ServerInfo~a]@ex01:444/owa/auth/logon.aspx?", "200", "", "proxylogon-ssrf-probe low"},
		{"logon.aspx on the back end, 302", "ServerInfo~a]@ex01:444/OWA/auth/Logon.aspx?", "302", "", "proxylogon-ssrf-probe low"},
		{"x.js on the back end, 404", "ServerInfo~a]@ex01:444/owa/auth/x.js?", "404", "", "proxylogon-ssrf-probe low"},
		{"static file after the query", "ServerInfo~a]@ex01:444/ecp/x.js?/autodiscover", "200", "", "proxylogon-ssrf-probe low"},
		// Neighbours of the probes that stay real hits.
		{"host only containing a listed domain", "ServerInfo~notburpcollaborator.net.evil/ecp/DDI/DDIService.svc/GetObject?#", "200", "", "proxylogon-ssrf-backend high"},
		{"host ending in the name without a dot", "ServerInfo~evilburpcollaborator.net/ecp/proxyLogon.ecp?#", "241", "", "proxylogon-ssrf-backend high"},
		{"listed domain only in the user part", "ServerInfo~x.oastify.com@ex01:444/ecp/proxyLogon.ecp?#", "241", "", "proxylogon-ssrf-backend high"},
		{"listed domain only in the path", "ServerInfo~a]@ex01:444/ecp/DDI/DDIService.svc/GetObject?u=x.oast.pro#", "200", "", "proxylogon-ssrf-backend high"},
		{"real ECP back end target, 200", "ServerInfo~a]@ex01.contoso.local:444/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory#", "200", "", "proxylogon-ssrf-backend high"},
		{"page with a static-looking tail", "ServerInfo~a]@ex01:444/ecp/proxyLogon.ecp/x.js?#", "241", "", "proxylogon-ssrf-backend high"},
		{"encoded static-looking path", "ServerInfo~a]@ex01:444/ecp/proxyLogon.ecp%3f.js", "200", "", "proxylogon-ssrf-backend high"},
		{"dot segments to a page", "ServerInfo~a]@ex01:444/ecp/x.js/../proxyLogon.ecp", "200", "", "proxylogon-ssrf-backend high"},
		{"logon.aspx with a path after it", "ServerInfo~a]@ex01:444/owa/auth/logon.aspx/x", "200", "", "proxylogon-ssrf-backend high"},
		// False positives that must stay silent.
		{"health probe anchor without a path", "ServerInfo~EX01.contoso.local", "200", "", ""},
		{"ordinary Sid anchor", "Sid~S-1-5-21-1-2-3-1104", "200", "", ""},
		{"benign server cookie", "Sid~S-1-5-21-1-2-3-1104", "200", "Server~ex01.contoso.local~1942062522~2021-03-04T06:00:00", ""},
		{"database cookie", "MailboxGuid~x", "200", "Database~fb7adba2-51f4-47e3-b170-fd39f85aaf35~~2021-03-04T06:00:00", ""},
		{"ServerVersion anchor", "ServerVersion~Version 15.0 (Build 0.0)", "200", "", ""},
		{"anchor text elsewhere", "Sid~x/ServerInfo~y/z", "200", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(inspect(t, SSRF{}, nil, proxyFields, proxyLine(tc.anchor, tc.status, tc.cookie)), ",")
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestResetVDir(t *testing.T) {
	tests := []struct {
		name, anchor, status, want string
	}{
		{"reset accepted", "ServerInfo~a]@ex01:444/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=x.&schema=ResetOABVirtualDirectory#", "200", "proxylogon-reset-vdir critical"},
		{"reset, other vdir, no trailing #", "ServerInfo~a]@ex01:444/ecp/DDI/DDIService.svc/SetObject?schema=resetECPVirtualDirectory", "200", "proxylogon-reset-vdir critical"},
		{"reset refused", "ServerInfo~a]@ex01:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory#", "500", "proxylogon-reset-vdir medium"},
		{"set, not reset", "ServerInfo~a]@ex01:444/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory#", "200", ""},
		{"reset word without a virtual directory", "ServerInfo~a]@ex01:444/ecp/PasswordReset.aspx", "200", ""},
		{"virtual directory before reset", "ServerInfo~a]@ex01:444/ecp/VirtualDirectory/Reset", "200", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(inspect(t, ResetVDir{}, nil, proxyFields, proxyLine(tc.anchor, tc.status, "")), ",")
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

var ecpFields = []string{"TimeStamp", "ServerName", "EventId", "EventData"}

func TestECPVirtualDirectory(t *testing.T) {
	const script = `<script language=""JScript"" runat=""server"">function Page_Load(){eval(Request[""klk123456""],""unsafe"");}</script>`
	tests := []struct {
		name, eventData, want string
	}{
		{"script in ExternalUrl, full line",
			`"S:TIME=120;S:SID=x;'S:CMD=Set-OabVirtualDirectory.ExternalUrl=''http://f/` + script + `''.Identity=''982d48c8'';S:URL=/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory;S:EX="`,
			"proxylogon-vdir-script high"},
		{"only the S:CMD item (Test-ProxyLogon's regex misses it)",
			`"'S:CMD=Set-OabVirtualDirectory.ExternalUrl=''http://f/` + script + `''.Identity=''982d48c8'''"`,
			"proxylogon-vdir-script high"},
		{"obfuscated script in InternalUrl of another vdir",
			`"'S:CMD=Set-EcpVirtualDirectory.InternalUrl=''http://x/<%eval(Request.Item[""a""]) %>''.Identity=''ex01\ecp'''"`,
			"proxylogon-vdir-script high"},
		{"New-*VirtualDirectory with script",
			`"'S:CMD=New-OABVirtualDirectory.InternalURL=''http://f/<script runat=""server"">x</script>''.WebSiteName=''Default Web Site'''"`,
			"proxylogon-vdir-script high"},
		{"not a URL", `"'S:CMD=Set-OwaVirtualDirectory.ExternalUrl=''mail.contoso.com owa''.Identity=''x'''"`, "proxylogon-vdir-invalid-url medium"},
		{"cmdlet name in lower case", `"'S:CMD=set-oabvirtualdirectory.externalurl=''http://f/` + script + `'''"`, "proxylogon-vdir-script high"},
		// False positives that must stay silent.
		{"valid URL", `"'S:CMD=Set-OwaVirtualDirectory.ExternalUrl=''https://mail.contoso.com/owa''.Identity=''EX01\owa (Default Web Site)'''"`, ""},
		{"international host name", `"'S:CMD=Set-OwaVirtualDirectory.ExternalUrl=''https://mail.müller.de/owa'''"`, ""},
		{"URL cleared", `"'S:CMD=Set-OabVirtualDirectory.ExternalUrl=$null.Identity=''982d48c8'''"`, ""},
		{"Get- of a virtual directory", `"S:CMD=Get-OabVirtualDirectory.ADPropertiesOnly=$true.Identity=$null;S:EX="`, ""},
		{"New- with valid URL and a path", `"'S:CMD=New-OABVirtualDirectory.WebSiteName=''Default Web Site''.InternalURL=''https://ex01.contoso.local/OAB''.Path=''C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\OAB'''"`, ""},
		{"other cmdlet with markup", `"'S:CMD=Set-Mailbox.CustomAttribute1=''<b>x</b>'''"`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			line := "2021-03-03T06:49:53.772Z,EX01,ECP.Request," + tc.eventData
			got := strings.Join(inspect(t, ECPVirtualDirectory{}, nil, ecpFields, line), ",")
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestOABDownload(t *testing.T) {
	custom := &detect.Context{Server: &facts.Server{InstallPath: `D:\Exchange\V15\`, InstallPathKnown: true}}
	guessed := &detect.Context{Server: &facts.Server{InstallPath: `C:\EX01-copy\V15\`}}
	tests := []struct {
		name string
		ctx  *detect.Context
		path string
		want string
	}{
		{"web root", nil, `C:\inetpub\wwwroot\aspnet_client\system_web\x.aspx`, "proxylogon-oab-download-outside high"},
		{"UNC path", nil, `\\10.0.0.5\share\shell.aspx`, "proxylogon-oab-download-outside high"},
		{"traversal out of the OAB folder", nil, `C:\Program Files\Microsoft\Exchange Server\V15\ClientAccess\OAB\..\..\FrontEnd\HttpProxy\owa\auth\y.aspx`, "proxylogon-oab-download-outside high"},
		{"default folder on a custom install", custom, `C:\Program Files\Microsoft\Exchange Server\V15\ClientAccess\OAB\Temp\x\oab.xml`, "proxylogon-oab-download-outside high"},
		{"sibling folder with the same prefix", nil, `C:\Program Files\Microsoft\Exchange Server\V15\ClientAccess\OABX\shell.aspx`, "proxylogon-oab-download-outside high"},
		// Benign.
		{"OAB temp folder", nil, `C:\Program Files\Microsoft\Exchange Server\V15\ClientAccess\OAB\Temp\9f1c\oab.xml`, ""},
		{"other case and slashes", nil, `c:/program files/microsoft/exchange server/v15/clientaccess/oab/temp/a.lzx`, ""},
		{"custom install folder", custom, `D:\Exchange\V15\ClientAccess\OAB\Temp\x\oab.xml`, ""},
		{"guessed install folder: any V15 OAB folder", guessed, `E:\Exchange Server\V15\ClientAccess\OAB\Temp\x\oab.xml`, ""},
		{"guessed install folder: still not the web root", guessed, `C:\inetpub\wwwroot\aspnet_client\x.aspx`, "proxylogon-oab-download-outside high"},
		{"guessed install folder: traversal", guessed, `E:\V15\ClientAccess\OAB\..\..\x.aspx`, "proxylogon-oab-download-outside high"},
		{"dot segments that stay inside", nil, `C:\Program Files\Microsoft\Exchange Server\V15\ClientAccess\OAB\Temp\..\y\oab.xml`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			line := `2021-03-03T07:01:14.002Z,12,Information,"Download failed and temporary file '` + tc.path + `' needs to be removed."`
			got := strings.Join(inspect(t, OABDownload{}, tc.ctx, []string{"DateTime", "ThreadId", "Level", "Message"}, line), ",")
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	// Text that changes length when lower-cased must not throw offsets off.
	hostile := "2021-03-03T07:01:14.002Z," + strings.Repeat("\xff", 40) + "ȺȺ Download failed and temporary file '\\\\h\\s\\x.aspx' needs to be removed."
	if got := inspect(t, OABDownload{}, nil, []string{"DateTime", "Message"}, hostile); len(got) != 1 {
		t.Errorf("line with invalid UTF-8: %v", got)
	}
	if got := inspect(t, OABDownload{}, nil, []string{"DateTime", "Message"}, "2021-03-03T07:01:14.002Z,Download succeeded for file x"); len(got) != 0 {
		t.Errorf("other OAB lines: %v", got)
	}
}

func TestParseTargets(t *testing.T) {
	if tg, ok := parseBackEndCookie("Server~a]@ex01:444/ecp/x?a=~1942062522"); !ok || tg.Host != "a]@ex01:444" || tg.Path != "/ecp/x?a=" {
		t.Errorf("cookie parse = %+v %v", tg, ok)
	}
	if _, ok := parseBackEndCookie("Server~ex01~/x"); ok {
		t.Error("a slash after the last tilde is not the Server~*/*~* form")
	}
}

// TestProbeOutcome checks what a probe's evidence says about the server: a
// 500 dates it as vulnerable, other answers do not.
func TestProbeOutcome(t *testing.T) {
	tests := []struct {
		anchor, status, probe, outcome string
	}{
		{"ServerInfo~x.burpcollaborator.net/ecp/default.flt?", "500", "out-of-band", "most likely vulnerable to CVE-2021-26855"},
		{"ServerInfo~x.burpcollaborator.net/ecp/default.flt?", "200", "out-of-band", "does not tell"},
		{"ServerInfo~localhost/ecp/default.flt?", "500", "localhost", "most likely vulnerable to CVE-2021-26855"},
		{"ServerInfo~a]@ex01:444/owa/auth/logon.aspx?", "302", "static file", "does not tell"},
		{"ServerInfo~a]@ex01:444/owa/auth/logon.aspx?", "", "static file", "no HTTP status"},
	}
	for _, tc := range tests {
		text := "#Fields: " + strings.Join(proxyFields, ",") + "\n" + proxyLine(tc.anchor, tc.status, "") + "\n"
		var got []finding.Finding
		rd := exlog.NewReader(exlog.Options{Matcher: literal.NewMatcher(SSRF{}.Literals()...)})
		if _, err := rd.Read(strings.NewReader(text), func(r *exlog.Record) {
			SSRF{}.Inspect(nil, &detect.LogRecord{RecordFields: r, Line: r.Line, Raw: r.Raw, Path: "x.log"}, func(f finding.Finding) { got = append(got, f) })
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("%s %s: %d findings", tc.anchor, tc.status, len(got))
		}
		ev := got[0].Evidence
		if !strings.Contains(ev.Get("Probe"), tc.probe) || !strings.Contains(ev.Get(finding.KeyOutcome), tc.outcome) {
			t.Errorf("%s %s: Probe %q, Outcome %q; want %q and %q", tc.anchor, tc.status, ev.Get("Probe"), ev.Get(finding.KeyOutcome), tc.probe, tc.outcome)
		}
		if got[0].Severity != finding.Low {
			t.Errorf("%s %s: severity %s", tc.anchor, tc.status, got[0].Severity)
		}
	}
}

func TestIsOutOfBand(t *testing.T) {
	for host, want := range map[string]bool{
		"burpcollaborator.net":             true,
		"A.B.BURPCOLLABORATOR.NET":         true,
		"u@x.oastify.com:8443":             true,
		"a]@q.interactsh.com":              true,
		"x.dnslog.cn.":                     true,
		"eo1.m.pipedream.net":              true,
		"notburpcollaborator.net.evil":     false,
		"burpcollaborator.net.evil":        false,
		"xoastify.com":                     false,
		"x.oastify.com@ex01.contoso.local": false,
		"":                                 false,
		"@":                                false,
		"oast":                             false,
	} {
		if got := (ssrfTarget{Host: host}).isOutOfBand(); got != want {
			t.Errorf("%q: %v, want %v", host, got, want)
		}
	}
}

// FuzzTarget feeds arbitrary anchors and cookies to the target parsers and
// the tests on their parts: no panics, and the parts are cut where the
// documented forms say.
func FuzzTarget(f *testing.F) {
	for _, s := range []string{
		"ServerInfo~a]@ex01:444/ecp/proxyLogon.ecp?#",
		"ServerInfo~x.burpcollaborator.net/ecp/default.flt?",
		"Server~a]@ex01:444/ecp/x?~1942062522",
		"ServerInfo~@:/%..;\\",
		"serverinfo~/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, parse := range []func(string) (ssrfTarget, bool){parseAnchor, parseBackEndCookie} {
			tg, ok := parse(v)
			if !ok {
				continue
			}
			if strings.Contains(tg.Host, "/") || !strings.HasPrefix(tg.Path, "/") {
				t.Fatalf("%q: host %q path %q", v, tg.Host, tg.Path)
			}
			_ = tg.isOutOfBand()
			_ = tg.isDynamic()
			_ = tg.isLocalhostProbe()
			_ = tg.isAutodiscover()
		}
	})
}
