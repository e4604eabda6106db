package correlate

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
)

var day = time.Date(2021, 3, 3, 0, 0, 0, 0, time.UTC)

func at(h, m, s int) *time.Time {
	t := day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
	return &t
}

const (
	ecpLog   = "Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG"
	owaLog   = "Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Owa/HttpProxy_2021030310-1.LOG"
	ecpSrv   = "Program Files/Microsoft/Exchange Server/V15/Logging/ECP/Server/ECPServer20210303-1.LOG"
	iisLog   = "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log"
	shellRel = "inetpub/wwwroot/aspnet_client/discover.aspx"

	actorA  = "203.0.113.45"
	actorB  = "198.51.100.7"
	bystand = "192.0.2.1"
)

// ev makes evidence from name, value pairs.
func ev(kv ...string) finding.Evidence {
	var e finding.Evidence
	for i := 0; i+1 < len(kv); i += 2 {
		e = append(e, finding.Field{Name: kv[i], Value: kv[i+1]})
	}
	return e
}

func mk(rule string, stage finding.Stage, sev finding.Severity, path string, line int, t *time.Time, e finding.Evidence) finding.Finding {
	return finding.Finding{Rule: rule, Stage: stage, Severity: sev, Path: path, Line: line, Time: t, Title: rule, Evidence: e}
}

// fileAt is a whole-file finding as the file detectors make it: the
// modified time is the finding's time and in its evidence.
func fileAt(rule string, sev finding.Severity, path string, mod time.Time) finding.Finding {
	f := mk(rule, finding.StageWebshellWritten, sev, path, 0, &mod, ev("size", "740", "modified", mod.Format(time.RFC3339)))
	return f
}

// attackFindings is one server's evidence: actor A gets through the
// whole chain (forged requests, a virtual directory reset that names the
// file it writes, the file on disk, commands run through it), actor B
// only probes (autodiscover-only forged request, shell names answered
// 302), a third client only comes from an indicator address, and the
// scan's own findings sit beside them.
func attackFindings() []finding.Finding {
	canaryURL := "/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=CAN1xx.&schema=OABVirtualDirectory"
	return []finding.Finding{
		// A: the chain.
		mk("proxylogon-ssrf-autodiscover", finding.StageAttempt, finding.Low, ecpLog, 17, at(6, 49, 42), ev(
			"ClientIpAddress", actorA, "UserAgent", "ExchangeServicesClient/0.0.0.0", "UrlStem", "/ecp/y.js",
			"AnchorMailbox", "ServerInfo~a]@ex01.contoso.local:444/autodiscover/autodiscover.xml?#")),
		mk("proxylogon-ssrf-backend", finding.StageExploitation, finding.High, ecpLog, 18, at(6, 49, 43), ev(
			"ClientIpAddress", actorA, "UserAgent", "python-requests/2.25.1", "UrlStem", "/ecp/y.js",
			"AnchorMailbox", "ServerInfo~a]@ex01.contoso.local:444/mapi/emsmdb/?msExchLogonMailbox=S-1-5-21-1-2-3-500#")),
		mk("proxylogon-ssrf-backend", finding.StageExploitation, finding.High, ecpLog, 19, at(6, 49, 46), ev(
			"ClientIpAddress", actorA, "UserAgent", "python-requests/2.25.1", "UrlStem", "/ecp/y.js",
			"AnchorMailbox", "ServerInfo~a]@ex01.contoso.local:444/ecp/proxyLogon.ecp?#", "AuthenticatedUser", `CONTOSO\Administrator`)),
		mk("proxylogon-ssrf-backend", finding.StageExploitation, finding.High, ecpLog, 21, at(6, 49, 53), ev(
			"ClientIpAddress", actorA, "UserAgent", "python-requests/2.25.1", "UrlStem", "/ecp/y.js",
			"AnchorMailbox", "ServerInfo~a]@ex01.contoso.local:444"+canaryURL+"#")),
		mk("proxylogon-reset-vdir", finding.StageWebshellWritten, finding.Critical, ecpLog, 22, at(6, 49, 57), ev(
			"ClientIpAddress", actorA, "UserAgent", "python-requests/2.25.1", "UrlStem", "/ecp/y.js",
			"AnchorMailbox", "ServerInfo~a]@ex01.contoso.local:444/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=CAN1xx.&schema=ResetOABVirtualDirectory#",
			"FilePathName", `\\127.0.0.1\c$\inetpub\wwwroot\aspnet_client\discover.aspx`)),
		// A: the ECP Server log line of the same ECP session (no client
		// address in that log).
		mk("proxylogon-vdir-script", finding.StageExploitation, finding.High, ecpSrv, 40, at(6, 49, 53), ev(
			"Cmdlet", "Set-OabVirtualDirectory", "Property", "ExternalUrl", "Value", `http://f/<script runat="server">`, "S:URL", canaryURL)),
		// The shell on disk, written ten minutes after the reset by its
		// file time.
		fileAt("webshell-aspnet-client-script", finding.High, shellRel, day.Add(6*time.Hour+59*time.Minute+21*time.Second)),
		fileAt("webshell-known-name", finding.Critical, shellRel, day.Add(6*time.Hour+59*time.Minute+21*time.Second)),
		// A runs commands through it (IIS W3C fields).
		mk("iis-webshell-command", finding.StageWebshellUse, finding.Critical, iisLog, 30, at(7, 20, 11), ev(
			"c-ip", actorA, "cs(User-Agent)", "python-requests/2.25.1", "cs-uri-stem", "/aspnet_client/discover.aspx",
			"cs-uri-query", "Email=ceo%40contoso.com&cmd=whoami", "sc-status", "200")),
		mk("iis-webshell-command", finding.StageWebshellUse, finding.Critical, iisLog, 31, at(7, 25, 0), ev(
			"c-ip", actorA, "cs(User-Agent)", "python-requests/2.25.1", "cs-uri-stem", "/aspnet_client/discover.aspx",
			"cs-uri-query", "cmd=net+group", "sc-status", "200")),
		// A's request naming a health mailbox: Exchange's own, left out.
		mk("proxylogon-ssrf-backend", finding.StageExploitation, finding.High, ecpLog, 23, at(6, 50, 0), ev(
			"ClientIpAddress", actorA, "UserAgent", "python-requests/2.25.1", "UrlStem", "/ecp/y.js",
			"AnchorMailbox", "SMTP:HealthMailbox0a1b2c3d@contoso.com")),

		// B: probing only.
		mk("proxylogon-ssrf-autodiscover", finding.StageAttempt, finding.Low, ecpLog, 5, at(5, 0, 0), ev(
			"ClientIpAddress", actorB+":51234", "UserAgent", "ExchangeServicesClient/0.0.0.0", "UrlStem", "/ecp/x.js",
			"AnchorMailbox", "ServerInfo~a]@ex01.contoso.local:444/autodiscover/autodiscover.xml?#")),
		mk("webshell-request-probe", finding.StageAttempt, finding.Low, owaLog, 8, at(10, 5, 0), ev(
			"ClientIpAddress", actorB, "UserAgent", "Mozilla/5.0 zgrab", "UrlStem", "/owa/auth/errorFS.aspx", "HttpStatus", "302")),
		mk("webshell-request-probe", finding.StageAttempt, finding.Low, owaLog, 9, at(10, 6, 0), ev(
			"ClientIpAddress", actorB, "UserAgent", "Mozilla/5.0 zgrab", "UrlStem", "/owa/auth/OutlookEN.aspx", "HttpStatus", "302")),

		// A client seen only as an indicator address: no session.
		// It comes last, and is no attacker activity of a session.
		mk("ioc-ip-traffic", finding.StageAttempt, finding.Medium, owaLog, 12, at(11, 0, 0), ev("ClientIpAddress", bystand)),
		// An ECP line without a time (an excerpt) and without a canary.
		mk("proxylogon-vdir-invalid-url", finding.StageExploitation, finding.Medium, ecpSrv, 50, nil, ev("Cmdlet", "Set-OwaVirtualDirectory")),
		// Background and state: never on the timeline.
		func() finding.Finding {
			f := mk("postexploit-programdata-archive", finding.StagePostExploitation, finding.Low, "ProgramData/McAfee/x.zip", 0, at(1, 0, 0), nil)
			f.Context = true
			return f
		}(),
		func() finding.Finding {
			f := mk("patch-vulnerable-build", "", finding.High, "Program Files/Microsoft/Exchange Server/V15", 0, nil, nil)
			f.Exposure = true
			return f
		}(),
		mk("log-coverage", "", finding.Info, "Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp", 0, at(0, 0, 0), nil),
	}
}

// coverage reaches from the start of the attack day to the next day.
func coverage() []result.Coverage {
	from, to := day.Add(10*time.Minute), day.Add(33*time.Hour+30*time.Minute)
	return []result.Coverage{
		{Family: "ECP Server", Dir: "x", Files: 2, Oldest: from, Newest: to},
		{Family: "HttpProxy", Folder: "Ecp", Dir: "x", Files: 34, Oldest: from, Newest: to},
		{Family: "HttpProxy", Folder: "Owa", Dir: "x", Files: 34, Oldest: from, Newest: to},
	}
}

// server completes findings as the scan does (sorted, ids, Windows
// paths, normalised fields) and builds the server around them.
func server(fs []finding.Finding, cov []result.Coverage, exp result.Exposure) *result.Server {
	fs = slices.Clone(fs)
	finding.Sort(fs)
	for i := range fs {
		fs[i].Normalise()
		fs[i].WindowsPath = `C:\` + strings.ReplaceAll(fs[i].Path, "/", `\`)
	}
	return &result.Server{
		Root:     "/evidence/ex01",
		Server:   result.ServerInfo{Name: "EX01", Identity: result.Identity{HostName: "EX01", FQDN: "ex01.contoso.local"}, WebRoot: "inetpub/wwwroot"},
		Findings: fs, Coverage: cov,
		Verdict: result.Verdict{Exposure: exp},
		Stats:   result.Stats{Started: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
}

var patched = result.Exposure{State: result.ExposurePatched, PatchedAt: timePtr(time.Date(2021, 3, 6, 0, 0, 0, 0, time.UTC))}
var vulnerable = result.Exposure{State: result.ExposureVulnerable}

func milestones(tl *result.Timeline) map[string]result.Milestone {
	out := map[string]result.Milestone{}
	for _, m := range tl.Milestones {
		out[m.Name] = m
	}
	return out
}

func sessionOf(s *result.Server, ip string) *result.Session {
	for i := range s.Sessions {
		if s.Sessions[i].SourceIP == ip {
			return &s.Sessions[i]
		}
	}
	return nil
}

func TestMilestones(t *testing.T) {
	s := server(attackFindings(), coverage(), patched)
	Server(s)
	if s.Timeline == nil {
		t.Fatal("no timeline for an attacked server")
	}
	ms := milestones(s.Timeline)
	for _, tc := range []struct {
		name  string
		time  *time.Time
		cites string
		basis string
		ips   []string
	}{
		// B's autodiscover-only request comes first.
		{result.MilestoneFirstAttempt, at(5, 0, 0), "proxylogon-ssrf-autodiscover:" + ecpLog + ":5", result.BasisLog, []string{actorB}},
		{result.MilestoneFirstSuccess, at(6, 49, 43), "proxylogon-ssrf-backend:" + ecpLog + ":18", result.BasisLog, []string{actorA}},
		// The reset in the log, before the file's own time.
		{result.MilestoneFirstShellWritten, at(6, 49, 57), "proxylogon-reset-vdir:" + ecpLog + ":22", result.BasisLog, []string{actorA}},
		{result.MilestoneFirstShellUse, at(7, 20, 11), "iis-webshell-command:" + iisLog + ":30", result.BasisLog, []string{actorA}},
		{result.MilestoneLastShellUse, at(7, 25, 0), "iis-webshell-command:" + iisLog + ":31", result.BasisLog, []string{actorA}},
		{result.MilestoneLastActivity, at(10, 6, 0), "webshell-request-probe:" + owaLog + ":9", result.BasisLog, []string{actorB}},
		{result.MilestonePatched, patched.PatchedAt, "", result.BasisInstallDate, nil},
	} {
		m, ok := ms[tc.name]
		if !ok {
			t.Errorf("%s missing", tc.name)
			continue
		}
		if !m.Time.Equal(*tc.time) || m.Basis != tc.basis || !slices.Equal(m.SourceIPs, tc.ips) {
			t.Errorf("%s = %v (%s) from %v, want %v (%s) from %v", tc.name, m.Time, m.Basis, m.SourceIPs, *tc.time, tc.basis, tc.ips)
		}
		if tc.cites != "" && !slices.Contains(m.Findings, tc.cites) {
			t.Errorf("%s cites %v, want %s", tc.name, m.Findings, tc.cites)
		}
	}
	for i := 1; i < len(s.Timeline.Milestones); i++ {
		if s.Timeline.Milestones[i].Time.Before(s.Timeline.Milestones[i-1].Time) {
			t.Errorf("milestones out of time order: %v", s.Timeline.Milestones)
		}
	}
	// The finding without a time is said, not placed.
	if len(s.Timeline.Notes) == 0 || !strings.Contains(s.Timeline.Notes[0], "1 finding(s) of the attack have no time") {
		t.Errorf("notes = %q", s.Timeline.Notes)
	}
}

func TestSessions(t *testing.T) {
	s := server(attackFindings(), coverage(), patched)
	Server(s)
	if len(s.Sessions) != 2 {
		t.Fatalf("%d sessions, want 2 (the indicator-only client makes none): %+v", len(s.Sessions), s.Sessions)
	}
	if s.Sessions[0].SourceIP != actorB || s.Sessions[1].SourceIP != actorA {
		t.Errorf("sessions not by first activity: %s, %s", s.Sessions[0].SourceIP, s.Sessions[1].SourceIP)
	}
	a, b := sessionOf(s, actorA), sessionOf(s, actorB)
	for _, tc := range []struct {
		what      string
		got, want any
	}{
		{"A outcome", a.Outcome, result.OutcomeSuccessful},
		{"A stage", a.StageReached, finding.StageWebshellUse},
		{"A stages", a.Stages, []finding.Stage{finding.StageAttempt, finding.StageExploitation, finding.StageWebshellWritten, finding.StageWebshellUse}},
		{"A first", *a.First, *at(6, 49, 42)},
		{"A last", *a.Last, *at(7, 25, 0)},
		{"A agents", a.UserAgents, []string{"ExchangeServicesClient/0.0.0.0", "python-requests/2.25.1"}},
		{"A webshells", a.Webshells, []string{"/aspnet_client/discover.aspx"}},
		{"A canaries", a.EcpCanaries, []string{"CAN1xx."}},
		{"A rules", a.Rules, map[string]int{"proxylogon-ssrf-autodiscover": 1, "proxylogon-ssrf-backend": 4, "proxylogon-reset-vdir": 1,
			"proxylogon-vdir-script": 1, "iis-webshell-command": 2}},
		{"A mailboxes", a.Mailboxes, []string{"CONTOSO\\Administrator", "S-1-5-21-1-2-3-500", "ceo@contoso.com"}},
		{"B outcome", b.Outcome, result.OutcomeProbing},
		{"B stage", b.StageReached, finding.Stage("")},
		{"B webshells", b.Webshells, []string(nil)},
		{"B rules", b.Rules, map[string]int{"proxylogon-ssrf-autodiscover": 1, "webshell-request-probe": 2}},
		{"B mailboxes", b.Mailboxes, []string(nil)},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s = %#v, want %#v", tc.what, tc.got, tc.want)
		}
	}
	// The ECP line joined by its canary is one of A's findings.
	if !slices.Contains(a.Findings, "proxylogon-vdir-script:"+ecpSrv+":40") {
		t.Errorf("A's findings lack the ECP line of its canary: %v", a.Findings)
	}
	// The file is tied to A twice: its reset wrote it, its requests used it.
	var hows []string
	for _, f := range a.Files {
		if f.Path != `C:\inetpub\wwwroot\aspnet_client\discover.aspx` || len(f.Findings) != 2 {
			t.Errorf("file %+v", f)
		}
		hows = append(hows, f.How)
	}
	if !slices.Equal(hows, []string{result.JoinRequestPath, result.JoinWrittenPath}) {
		t.Errorf("A's files joined by %v", hows)
	}
}

func TestJoins(t *testing.T) {
	s := server(attackFindings(), coverage(), patched)
	Server(s)
	joins := map[string]result.Join{}
	for _, j := range s.Joins {
		joins[j.By+" "+j.Value] = j
	}
	canary, ok := joins["ecp_canary CAN1xx."]
	if !ok {
		t.Fatalf("no canary join: %+v", s.Joins)
	}
	want := []string{"proxylogon-reset-vdir:" + ecpLog + ":22", "proxylogon-ssrf-backend:" + ecpLog + ":21", "proxylogon-vdir-script:" + ecpSrv + ":40"}
	if !slices.Equal(canary.Findings, want) || !slices.Equal(canary.SourceIPs, []string{actorA}) {
		t.Errorf("canary join = %+v", canary)
	}
	// The UNC path of this server's admin share is the C: path on disk.
	written, ok := joins[`written_path \\127.0.0.1\c$\inetpub\wwwroot\aspnet_client\discover.aspx`]
	if !ok || len(written.Findings) != 3 || written.Note != "" {
		t.Errorf("written-path join = %+v (joins %+v)", written, s.Joins)
	}
	req, ok := joins["request_path /aspnet_client/discover.aspx"]
	if !ok || len(req.Findings) != 4 || !slices.Equal(req.SourceIPs, []string{actorA}) {
		t.Errorf("request-path join = %+v", req)
	}
	// Probes for names that are not on disk join nothing.
	for k := range joins {
		if strings.Contains(k, "errorFS") {
			t.Errorf("probe joined: %s", k)
		}
	}
}

func TestMailboxes(t *testing.T) {
	s := server(attackFindings(), coverage(), patched)
	Server(s)
	got := map[string]result.Mailbox{}
	for _, m := range s.Mailboxes {
		got[m.Address] = m
	}
	for _, tc := range []struct{ addr, kind, field string }{
		{"ceo@contoso.com", result.MailboxSMTP, "cs-uri-query"},
		{`CONTOSO\Administrator`, result.MailboxAccount, "AuthenticatedUser"},
		{"S-1-5-21-1-2-3-500", result.MailboxSID, "AnchorMailbox"},
	} {
		m, ok := got[tc.addr]
		if !ok {
			t.Errorf("%s not listed (got %+v)", tc.addr, s.Mailboxes)
			continue
		}
		if m.Kind != tc.kind || len(m.Sources) == 0 || m.Sources[0].Field != tc.field || !slices.Equal(m.SourceIPs, []string{actorA}) || m.Outcome != result.OutcomeSuccessful {
			t.Errorf("%s = %+v", tc.addr, m)
		}
	}
	if len(s.Mailboxes) != 3 {
		t.Errorf("%d mailboxes, want 3: %+v", len(s.Mailboxes), s.Mailboxes)
	}
	if len(s.MailboxesExcluded) != 1 || s.MailboxesExcluded[0].Address != "healthmailbox0a1b2c3d@contoso.com" || !strings.Contains(s.MailboxesExcluded[0].Excluded, "health") {
		t.Errorf("excluded = %+v", s.MailboxesExcluded)
	}
}

func TestExposureWindow(t *testing.T) {
	for _, tc := range []struct {
		name     string
		exp      result.Exposure
		to       *time.Time
		open     bool
		contains string
	}{
		{"patched", patched, patched.PatchedAt, false, "to the fix installed on 2021-03-06 (date only)"},
		{"vulnerable", vulnerable, at(10, 6, 0), true, "still open"},
		{"patched, date unknown", result.Exposure{State: result.ExposurePatched}, nil, false, "whose date was not found"},
		{"unknown", result.Exposure{State: result.ExposureUnknown}, at(10, 6, 0), false, "not known"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := server(attackFindings(), coverage(), tc.exp)
			Server(s)
			w := s.Timeline.Exposure
			if w == nil || w.From == nil || !w.From.Equal(*at(5, 0, 0)) {
				t.Fatalf("window = %+v", w)
			}
			if (w.To == nil) != (tc.to == nil) || w.To != nil && !w.To.Equal(*tc.to) || w.Open != tc.open || !strings.Contains(w.Text, tc.contains) {
				t.Errorf("window = %+v", w)
			}
			_, hasPatched := milestones(s.Timeline)[result.MilestonePatched]
			if hasPatched != (tc.exp.PatchedAt != nil) {
				t.Errorf("patched milestone present = %v", hasPatched)
			}
		})
	}
	// Patched before the first attempt: no window, said in words.
	early := result.Exposure{State: result.ExposurePatched, PatchedAt: timePtr(time.Date(2021, 3, 2, 0, 0, 0, 0, time.UTC))}
	s := server(attackFindings(), coverage(), early)
	Server(s)
	if w := s.Timeline.Exposure; w == nil || w.From != nil || !strings.HasPrefix(w.Text, "none:") {
		t.Errorf("window when patched before the attempts = %+v", w)
	}
	// The shell is still on disk: its window is open.
	if w := s.Timeline.WebshellPresent; w == nil || !w.Open || !w.From.Equal(*at(6, 49, 57)) {
		t.Errorf("web shell window = %+v", w)
	}
}

func TestGaps(t *testing.T) {
	kinds := func(s *result.Server) map[string]result.Gap {
		out := map[string]result.Gap{}
		for _, g := range s.Timeline.Gaps {
			out[g.Kind+" "+g.Folder] = g
		}
		return out
	}
	// The attacked server: the campaign window before the logs, and the
	// days between the logs' end and the fix.
	s := server(attackFindings(), coverage(), patched)
	Server(s)
	g := kinds(s)
	if c, ok := g[result.GapCampaignBeforeLogs+" "]; !ok || !c.From.Equal(CampaignFrom) || !c.To.Equal(day.Add(10*time.Minute)) {
		t.Errorf("campaign gap = %+v (gaps %+v)", c, s.Timeline.Gaps)
	}
	if e, ok := g[result.GapExposureAfterLogs+" "]; !ok || !e.To.Equal(*patched.PatchedAt) {
		t.Errorf("exposure-after-logs gap = %+v", e)
	}
	if _, ok := g[result.GapBeforeLogs+" "]; ok {
		t.Error("before-logs gap although the file time is inside the logs")
	}
	// Activity in the first day of the logs.
	if _, ok := g[result.GapLogsStartDuringAttack+" "]; !ok {
		t.Errorf("no logs-start-during-attack gap: %+v", s.Timeline.Gaps)
	}

	// A shell whose file time is older than the logs, used later; no Owa
	// folder and fewer Ecp files than hours; an OAB log family missing.
	old := time.Date(2021, 2, 20, 4, 0, 0, 0, time.UTC)
	fs := []finding.Finding{
		fileAt("webshell-known-name", finding.Critical, "Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/shell.aspx", old),
		mk("webshell-request-success", finding.StageWebshellUse, finding.Critical, ecpLog, 3, at(9, 0, 0), ev(
			"ClientIpAddress", actorA, "UrlStem", "/owa/auth/shell.aspx", "HttpStatus", "200")),
		mk("log-coverage-missing", "", finding.Info, "Program Files/Microsoft/Exchange Server/V15/Logging/OABGeneratorLog", 0, nil,
			ev("family", "OABGeneratorLog", "why", "no OABGeneratorLog folder")),
	}
	cov := []result.Coverage{{Family: "HttpProxy", Folder: "Ecp", Dir: "x", Files: 3, Oldest: day, Newest: day.Add(9*time.Hour + 30*time.Minute)}}
	s = server(fs, cov, vulnerable)
	Server(s)
	g = kinds(s)
	if b, ok := g[result.GapBeforeLogs+" "]; !ok || !b.From.Equal(old) || !b.To.Equal(day) || !strings.Contains(b.Text, "shell.aspx") {
		t.Errorf("before-logs gap = %+v (gaps %+v)", b, s.Timeline.Gaps)
	}
	if _, ok := g[result.GapFamilyMissing+" Owa"]; !ok {
		t.Errorf("no gap for the missing Owa folder: %+v", s.Timeline.Gaps)
	}
	if m, ok := g[result.GapFamilyMissing+" "]; !ok || m.Family != "OABGeneratorLog" {
		t.Errorf("missing family gap = %+v", m)
	}
	if f, ok := g[result.GapFilesMissing+" Ecp"]; !ok || !strings.Contains(f.Text, "at least 7 hour(s) have no log file") {
		t.Errorf("files-missing gap = %+v", f)
	}
	if e, ok := g[result.GapExposureAfterLogs+" "]; !ok || e.To != nil || !strings.Contains(e.Text, "still vulnerable") {
		t.Errorf("exposure-after-logs gap = %+v", e)
	}
	// The milestone from a file time says so, and that no log shows it.
	w := milestones(s.Timeline)[result.MilestoneFirstShellWritten]
	if w.Basis != result.BasisFileTime || !strings.Contains(w.Note, "can set") || !strings.Contains(w.Note, "no log shows") || w.LogTime != nil {
		t.Errorf("file-time milestone = %+v", w)
	}
	if a := milestones(s.Timeline)[result.MilestoneFirstAttempt]; !a.Time.Equal(old) || a.Basis != result.BasisFileTime {
		t.Errorf("first attempt = %+v, want the file time as its bound", a)
	}
}

// TestFileTimeBeforeLogTime: a file time earlier than the log line of the
// same step is the milestone, with the log's time beside it.
func TestFileTimeBeforeLogTime(t *testing.T) {
	fs := attackFindings()
	for i := range fs {
		if fs[i].Rule == "webshell-known-name" {
			early := day.Add(6 * time.Hour)
			fs[i] = fileAt("webshell-known-name", finding.Critical, shellRel, early)
		}
	}
	s := server(fs, coverage(), patched)
	Server(s)
	m := milestones(s.Timeline)[result.MilestoneFirstShellWritten]
	if !m.Time.Equal(*at(6, 0, 0)) || m.Basis != result.BasisFileTime || m.LogTime == nil || !m.LogTime.Equal(*at(6, 49, 57)) ||
		!slices.Equal(m.LogFindings, []string{"proxylogon-reset-vdir:" + ecpLog + ":22"}) {
		t.Errorf("milestone = %+v", m)
	}
}

func TestOrderDoesNotMatter(t *testing.T) {
	render := func(fs []finding.Finding) string {
		s := server(fs, coverage(), patched)
		// Findings as the scan leaves them are sorted; correlation must
		// not depend on it either.
		slices.Reverse(s.Findings)
		Server(s)
		b, err := json.Marshal([]any{s.Timeline, s.Sessions, s.Mailboxes, s.MailboxesExcluded, s.Joins})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	fs := attackFindings()
	a := render(fs)
	slices.Reverse(fs)
	b := render(fs)
	fs[0], fs[len(fs)/2] = fs[len(fs)/2], fs[0]
	c := render(fs)
	if a != b || a != c {
		t.Errorf("order changes the result:\n%s\n%s\n%s", a, b, c)
	}
}

func TestProbingOnlyServer(t *testing.T) {
	var fs []finding.Finding
	for _, f := range attackFindings() {
		if f.SourceIP == "" && (f.Evidence.Get("ClientIpAddress") == actorB || strings.HasPrefix(f.Evidence.Get("ClientIpAddress"), actorB+":")) {
			fs = append(fs, f)
		}
	}
	if len(fs) != 3 {
		t.Fatalf("%d probe findings", len(fs))
	}
	s := server(fs, coverage(), vulnerable)
	Server(s)
	if s.Timeline == nil {
		t.Fatal("no timeline for probes")
	}
	ms := milestones(s.Timeline)
	for _, name := range []string{result.MilestoneFirstSuccess, result.MilestoneFirstShellWritten, result.MilestoneFirstShellUse, result.MilestoneLastShellUse} {
		if _, ok := ms[name]; ok {
			t.Errorf("%s on a server that was only probed", name)
		}
	}
	if _, ok := ms[result.MilestoneFirstAttempt]; !ok {
		t.Error("no first attempt")
	}
	if len(s.Sessions) != 1 || s.Sessions[0].Outcome != result.OutcomeProbing || s.Timeline.WebshellPresent != nil {
		t.Errorf("sessions %+v, web shell window %+v", s.Sessions, s.Timeline.WebshellPresent)
	}
}

func TestCleanServer(t *testing.T) {
	var fs []finding.Finding
	for _, f := range attackFindings() {
		if f.Stage == "" || f.Context {
			fs = append(fs, f)
		}
	}
	s := server(fs, coverage(), patched)
	Server(s)
	if s.Timeline != nil || s.Sessions != nil || s.Mailboxes != nil || s.Joins != nil {
		t.Errorf("clean server got %+v %+v %+v %+v", s.Timeline, s.Sessions, s.Mailboxes, s.Joins)
	}
	b, _ := json.Marshal(s)
	for _, key := range []string{`"timeline"`, `"sessions"`, `"mailboxes"`, `"joins"`} {
		if strings.Contains(string(b), key) {
			t.Errorf("clean server's JSON has %s", key)
		}
	}
}

func TestCampaign(t *testing.T) {
	one := server(attackFindings(), coverage(), patched)
	// The second server saw actor B probing, with the same shell name
	// on disk; the third only a client of its own.
	two := server([]finding.Finding{
		mk("webshell-request-probe", finding.StageAttempt, finding.Low, owaLog, 4, at(11, 0, 0), ev(
			"ClientIpAddress", actorB, "UserAgent", "Mozilla/5.0 zgrab", "UrlStem", "/owa/auth/errorFS.aspx", "HttpStatus", "302")),
		fileAt("webshell-known-name", finding.Critical, "inetpub/wwwroot/aspnet_client/system_web/Discover.aspx", day.Add(12*time.Hour)),
	}, coverage(), patched)
	two.Server.Name, two.Root = "EX02", "/evidence/ex02"
	three := server([]finding.Finding{
		mk("proxylogon-ssrf-autodiscover", finding.StageAttempt, finding.Low, ecpLog, 4, at(11, 0, 0), ev(
			"ClientIpAddress", "192.0.2.200", "UserAgent", "curl/7.68", "AnchorMailbox", "ServerInfo~x/autodiscover/autodiscover.xml?#")),
	}, coverage(), patched)
	three.Server.Name, three.Root = "EX03", "/evidence/ex03"
	servers := []*result.Server{one, two, three}
	for _, s := range servers {
		Server(s)
	}
	c := Campaign(servers)
	if c == nil || len(c.SourceIPs) != 1 {
		t.Fatalf("campaign = %+v", c)
	}
	ip := c.SourceIPs[0]
	if ip.Value != actorB || len(ip.Servers) != 2 || ip.Servers[0].Name != "EX01" || ip.Servers[1].Name != "EX02" ||
		!ip.Servers[0].First.Equal(*at(5, 0, 0)) || !ip.Servers[0].Last.Equal(*at(10, 6, 0)) || !ip.Servers[1].First.Equal(*at(11, 0, 0)) ||
		ip.Servers[0].Outcome != result.OutcomeProbing {
		t.Errorf("address = %+v", ip)
	}
	if len(c.UserAgents) != 1 || c.UserAgents[0].Value != "Mozilla/5.0 zgrab" {
		t.Errorf("user agents = %+v", c.UserAgents)
	}
	if len(c.WebshellNames) != 1 || !strings.EqualFold(c.WebshellNames[0].Value, "discover.aspx") || len(c.WebshellNames[0].Servers) != 2 {
		t.Errorf("web shell names = %+v", c.WebshellNames)
	}
	if Campaign(servers[:1]) != nil || Campaign([]*result.Server{one, three}) != nil {
		t.Error("campaign for one server, or for servers sharing nothing")
	}
}

func TestPathKey(t *testing.T) {
	c := &correlation{srv: &result.Server{Server: result.ServerInfo{Identity: result.Identity{HostName: "EX01", FQDN: "ex01.contoso.local"}}}}
	for _, tc := range []struct{ in, want string }{
		{`C:\inetpub\wwwroot\aspnet_client\Discover.aspx`, `c:\inetpub\wwwroot\aspnet_client\discover.aspx`},
		{`\\127.0.0.1\c$\inetpub\wwwroot\aspnet_client\discover.aspx`, `c:\inetpub\wwwroot\aspnet_client\discover.aspx`},
		{`\\EX01\D$\x\y.aspx`, `d:\x\y.aspx`},
		{`\\ex01.contoso.local\c$\a.aspx`, `c:\a.aspx`},
		{`\\198.51.100.5\share\shell.aspx`, `\\198.51.100.5\share\shell.aspx`},
		{`\\?\C:\a\b.aspx`, `c:\a\b.aspx`},
		{`C:\Program Files\Microsoft\Exchange Server\V15\ClientAccess\OAB\..\..\FrontEnd\HttpProxy\owa\auth\y.aspx`,
			`c:\program files\microsoft\exchange server\v15\frontend\httpproxy\owa\auth\y.aspx`},
	} {
		if got := c.pathKey(tc.in); got != tc.want {
			t.Errorf("pathKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMailboxParsing(t *testing.T) {
	for _, tc := range []struct {
		field, value string
		want         []mention
	}{
		{"AnchorMailbox", "SMTP:CEO@Contoso.com", []mention{{"ceo@contoso.com", result.MailboxSMTP, "AnchorMailbox"}}},
		{"AnchorMailbox", "Smtp~cfo@contoso.com", []mention{{"cfo@contoso.com", result.MailboxSMTP, "AnchorMailbox"}}},
		{"AnchorMailbox", "Sid~S-1-5-21-11-22-33-1104", []mention{{"S-1-5-21-11-22-33-1104", result.MailboxSID, "AnchorMailbox"}}},
		{"AnchorMailbox", "ServerInfo~a]@ex01:444/autodiscover/autodiscover.xml?#", nil},
		{"AnchorMailbox", "DatabaseGuid~1234", nil},
		// ProxyShell's Email= holds a path, not an address.
		{"UrlQuery", "&Email=autodiscover/autodiscover.json%3F@evil.com", nil},
		{"UrlQuery", "Email=bob%40contoso.com&Protocol=x", []mention{{"bob@contoso.com", result.MailboxSMTP, "UrlQuery"}}},
		{"TargetPath", "/ecp/x.ecp?msExchLogonMailbox=/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice#",
			[]mention{{"/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice", result.MailboxLegacyDN, "TargetPath"}}},
		{"AuthenticatedUser", "", nil},
		{"AuthenticatedUser", `CONTOSO\EX01$`, []mention{{`CONTOSO\EX01$`, result.MailboxAccount, "AuthenticatedUser"}}},
		{"S:SID", "0218ce2f-a95d-66de", nil},
	} {
		f := finding.Finding{Evidence: ev(tc.field, tc.value)}
		if got := mailboxesIn(&f); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s=%q: %+v, want %+v", tc.field, tc.value, got, tc.want)
		}
	}
	for _, tc := range []struct{ addr, kind, why string }{
		{"healthmailbox1234@contoso.com", result.MailboxSMTP, "health"},
		{"SystemMailbox{1f05a927-0000-0000-0000-000000000000}@contoso.com", result.MailboxSMTP, "arbitration"},
		{"federatedemail.4c1f4d8b-8179-4148-93bf-00a95fa1e042@contoso.com", result.MailboxSMTP, "federation"},
		{"Migration.8f3e7716-2011-43e4-96b1-aba62d229136@contoso.com", result.MailboxSMTP, "migration"},
		{"DiscoverySearchMailbox{D919BA05-46A6-415f-80AD-7E09334BB852}@contoso.com", result.MailboxSMTP, "discovery"},
		{`CONTOSO\EX01$`, result.MailboxAccount, "computer account"},
		{"S-1-5-18", result.MailboxSID, "system"},
		{"ceo@contoso.com", result.MailboxSMTP, ""},
	} {
		if got := excluded(tc.addr, tc.kind); tc.why == "" && got != "" || !strings.Contains(got, tc.why) {
			t.Errorf("excluded(%s) = %q, want %q", tc.addr, got, tc.why)
		}
	}
}

func TestBounds(t *testing.T) {
	var fs []finding.Finding
	for i := 0; i < MaxSessions+5; i++ {
		ip := "10." + itoa(i/65536) + "." + itoa(i/256%256) + "." + itoa(i%256)
		sev, stage, rule := finding.Low, finding.StageAttempt, "proxylogon-ssrf-autodiscover"
		if i == MaxSessions+4 {
			// The last and latest client is the one that got through:
			// it is kept.
			sev, stage, rule = finding.High, finding.StageExploitation, "proxylogon-ssrf-backend"
		}
		tm := day.Add(time.Duration(i) * time.Second)
		fs = append(fs, mk(rule, stage, sev, ecpLog, i+1, &tm, ev("ClientIpAddress", ip)))
	}
	s := server(fs, coverage(), patched)
	Server(s)
	if len(s.Sessions) != MaxSessions || s.SessionsNotListed != 5 {
		t.Fatalf("%d sessions, %d not listed", len(s.Sessions), s.SessionsNotListed)
	}
	if last := s.Sessions[len(s.Sessions)-1]; last.Outcome != result.OutcomeSuccessful {
		t.Errorf("the successful client was dropped; last listed %+v", last)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestSameTimeJoin: a web shell's process in the Security log joins the
// session whose shell request came within two minutes; one hours away joins
// nothing; two rules on one process make one join.
func TestSameTimeJoin(t *testing.T) {
	const sec = "Windows/System32/winevt/Logs/Security.evtx"
	fs := append(attackFindings(),
		mk("evtx-webserver-shell", finding.StageWebshellUse, finding.Critical, sec, 41380, at(7, 20, 40), ev("image", `C:\Windows\System32\cmd.exe`)),
		mk("evtx-chopper-command", finding.StageWebshellUse, finding.Critical, sec, 41380, at(7, 20, 40), ev("image", `C:\Windows\System32\cmd.exe`)),
		mk("evtx-webserver-shell", finding.StageWebshellUse, finding.Critical, sec, 41999, at(11, 0, 0), ev("image", `C:\Windows\System32\whoami.exe`)),
	)
	s := server(fs, coverage(), patched)
	Server(s)
	var joins []result.Join
	for _, j := range s.Joins {
		if j.By == result.JoinSameTime {
			joins = append(joins, j)
		}
	}
	if len(joins) != 1 || !slices.Equal(joins[0].SourceIPs, []string{actorA}) || !strings.Contains(strings.Join(joins[0].Findings, " "), "evtx-chopper-command:"+sec+":41380") ||
		!strings.Contains(strings.Join(joins[0].Findings, " "), "evtx-webserver-shell:"+sec+":41380") {
		t.Fatalf("same-time joins = %+v", joins)
	}
	a := sessionOf(s, actorA)
	if a == nil || !slices.Contains(a.Findings, "evtx-webserver-shell:"+sec+":41380") || slices.Contains(a.Findings, "evtx-webserver-shell:"+sec+":41999") {
		t.Errorf("session of A: %+v", a)
	}
}
