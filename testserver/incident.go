package testserver

import (
	"path"
	"sort"
	"strings"
	"time"

	"github.com/exhunt/exhunt/builds"
	"github.com/exhunt/exhunt/finding"
)

// Outcomes of an actor, as a correct timeline tells them apart.
const (
	OutcomeSuccessful = "successful"
	OutcomeProbing    = "probing"
)

// Actor is one client of the planted incident, as a correct scan groups
// its requests.
type Actor struct {
	IP string
	// Outcome is OutcomeSuccessful for the actor who got in, else
	// OutcomeProbing (scans, failed attempts, or only an indicator IP).
	Outcome string
	// FirstSeen and LastSeen are the actor's first and last planted
	// request in any log (HttpProxy times have milliseconds, IIS seconds).
	FirstSeen, LastSeen time.Time
	// Webshells are the planted shell files the actor used (answered 2xx),
	// sorted: paths relative to the root, or "D:/..." on Exchange's volume.
	Webshells []string
	// UserAgents are the user agents of its requests, with spaces, sorted.
	UserAgents []string
	// Note says what the actor did, for test messages and the demo.
	Note string
}

// Milestones are the times of the incident the planted data implies.
// Zero means the data holds no such moment.
type Milestones struct {
	// FirstAttempt is the earliest request of an actor that attacked
	// (scans, forged requests, shell probes), whoever made it; requests of
	// an actor seen only because its address is an indicator do not count.
	FirstAttempt time.Time
	// FirstExploitation is the first forged request that reached a dynamic
	// back-end page and succeeded.
	FirstExploitation time.Time
	// FirstWebshellWritten is the HttpProxy row of the first successful
	// ResetOABVirtualDirectory (the write of the shell).
	FirstWebshellWritten time.Time
	// FirstWebshellUse and LastWebshellUse bound the 2xx requests to the
	// planted shells.
	FirstWebshellUse, LastWebshellUse time.Time
	// LastActivity is the last request of any attacking actor.
	LastActivity time.Time
	// Patched is when the registry records the first installed update that
	// brings the build to a level with the March 2021 fix (zero when no
	// update does).
	Patched time.Time
}

// actorPlan is an actor while the incident is being planned.
type actorPlan struct {
	ip, outcome, note string
	// indicatorOnly: its requests are plain and only its address is
	// known bad, so they are no attack of their own.
	indicatorOnly bool
}

// stage marks what a planted request shows, for the milestones.
type stage uint8

const (
	stageAttack      stage = 1 << iota // any attack request (scan, probe, forged request, shell use)
	stageExploit                       // forged request that reached a dynamic back-end page with success
	stageShellWrite                    // successful ResetOABVirtualDirectory
	stageShellUse                      // 2xx to a planted shell
	stageMailboxRead                   // the successful actor read a mailbox
)

// request is one planted request as the server logged it: the front end's
// HttpProxy row when the request went through the proxy, the front end's
// IIS line and, when the front end passed it on, the back end's IIS line.
type request struct {
	actor  *actorPlan
	at     time.Time
	stages stage
	// proxy is the HttpProxy row, nil for requests IIS answers without
	// Exchange's proxy (the web root: aspnet_client).
	proxy *protoRow
	front iisLine
	back  *iisLine
	// shell is the planted file a stageShellUse request ran.
	shell string
}

// iisLine is a planted IIS line before it is written.
type iisLine struct {
	at                  time.Time
	method, stem, query string // query "" is logged as "-"
	user, clientIP, ua  string // user "" is "-"; ua with spaces
	status, sub, win32  int
	taken               int
	expect              []Expect // Path and Line are filled in when written
	// quiet points at the look-alike's own line (planted lines are
	// copied into the site's queue), where the place it was written goes.
	quiet   *iisLine
	why     string
	written string
	line    int
}

// incident is the planted attack: its requests in time order, its actors
// and the mailbox it read.
type incident struct {
	requests  []*request
	actors    []*actorPlan
	mailboxes []string
}

// The actors. Real public addresses are used only where their role is
// published: Actor C's address is on Volexity's list of ProxyLogon
// exploitation addresses (reproduced in CISA alert AA21-062A). The others
// are documentation addresses (RFC 5737) standing in for the real
// incident's.
const (
	actorAIP = "203.0.113.45"  // the successful actor
	actorBIP = "192.0.2.77"    // a scanner that probes and looks for others' shells
	actorDIP = "198.51.100.23" // a second group whose write failed
	actorCIP = "5.254.43.18"   // Volexity / CISA AA21-062A list
)

// User agents. The ones marked published are Volexity's, as reproduced in
// CISA alert AA21-062A (exact strings; IIS writes their spaces as '+',
// HttpProxy rows their commas as spaces, see proxyUA).
const (
	uaEWSClient    = "ExchangeServicesClient/0.0.0.0"                                                                                  // published: POST to /ecp/
	uaPython2251   = "python-requests/2.25.1"                                                                                          // published: POST to /ecp/
	uaPython2191   = "python-requests/2.19.1"                                                                                          // published: POST to /ecp/
	uaAntSword     = "antSword/v2.1"                                                                                                   // published: web shell access
	uaGooglebotOld = "Googlebot/2.1 (+http://www.googlebot.com/bot.html)"                                                              // published: web shell access
	uaGooglebotPub = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html"                                         // published: POST to /owa/auth/Current (no closing parenthesis, as published)
	uaGooglebot    = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"                                        // Google's real crawler
	uaShellChrome  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/65.0.2345 Safari/537.36" // the real incident's shell user
	uaNmapProbe    = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/69.0.3497.81 Safari/537.36"
	uaBurpProbe    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/89.0.4389.90 Safari/537.36"
	uaFirefox      = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:86.0) Gecko/20100101 Firefox/86.0"
	uaEdge         = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.190 Safari/537.36 Edg/88.0.705.81"
)

// targetMailbox is the user whose mailbox the successful actor read: a
// user of the benign traffic too.
const targetMailboxUser = "user042"

// plan lays out the incident's requests in time order; each actor's part
// is described where it is planted.
func (g *generator) plan() *incident {
	in := &incident{}
	a := &actorPlan{ip: actorAIP, outcome: OutcomeSuccessful,
		note: "forged requests (CVE-2021-26855) to the back end, ResetOABVirtualDirectory writing the shells (CVE-2021-27065), mailbox read through EWS, shells used for hours"}
	b := &actorPlan{ip: actorBIP, outcome: OutcomeProbing,
		note: "vulnerability scans, an autodiscover-only forged request, a POST to a Volexity target, and probes for a dozen published shell names (302/404)"}
	d := &actorPlan{ip: actorDIP, outcome: OutcomeProbing,
		note: "a ResetOABVirtualDirectory through a forged request that failed (500)"}
	c := &actorPlan{ip: actorCIP, outcome: OutcomeProbing, indicatorOnly: true,
		note: "plain requests from an address on Volexity's published list"}
	in.actors = []*actorPlan{a, b, d, c}

	day := attackDay
	at := func(h, m, s, ms int) time.Time {
		return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second + time.Duration(ms)*time.Millisecond)
	}
	exp := func(rule string, sev finding.Severity, why string) Expect {
		return Expect{Rule: rule, Severity: sev, Why: why}
	}
	machine := g.machineAccount()
	anchorBase := "ServerInfo~a]@" + serverFQDN + ":444"
	add := func(r *request) *request {
		in.requests = append(in.requests, r)
		return r
	}

	// ssrf is a forged request through the front door stem: the HttpProxy
	// row, the front end's line and, unless the target is out of band,
	// the back end's line for the target the cookie named.
	ssrf := func(act *actorPlan, t time.Time, ua, stem, anchor, cookie string, status int, target string, hp []Expect, front []Expect, back []Expect, st stage) *request {
		fields := g.ssrfRow(t, act.ip, ua, anchor, cookie, itoa(status), stem)
		r := &request{actor: act, at: t, stages: stageAttack | st,
			proxy: &protoRow{protocol: "Ecp", row: plantedRow{at: t, fields: fields, expect: hp}},
			front: iisLine{at: t, method: "POST", stem: stem, query: g.cafeQuery("", fields["RequestId"], false), clientIP: act.ip, ua: ua,
				status: status, taken: 40 + int(t.UnixMilli()%90), expect: front}}
		if target != "" {
			tstem, tquery, _ := strings.Cut(target, "?")
			if strings.HasPrefix(tstem, "/ecp/") {
				// The back end logs the client's user agent too.
				back = append(back, exp("iis-attacker-user-agent", finding.Medium, "published user agent "+ua+" on the back end's POST to /ecp/"))
			}
			r.back = &iisLine{at: t, method: "POST", stem: tstem, query: tquery, user: machine, ua: ua, status: status,
				taken: 25 + int(t.UnixMilli()%60), expect: back}
		}
		return add(r)
	}
	frontDoor := func(why string) Expect {
		return exp("iis-ssrf-front-door", finding.Medium, "POST to "+why+": the front door of the forged request")
	}
	ecpUA := func(ua string) Expect {
		return exp("iis-attacker-user-agent", finding.Medium, "published user agent "+ua+" on a POST to /ecp/")
	}

	// Actor A: the chain through /ecp/y.js of the real incident.
	ssrf(a, at(6, 49, 42, 162), uaEWSClient, "/ecp/y.js", anchorBase+"/autodiscover/autodiscover.xml?#", "", 200, "/autodiscover/autodiscover.xml",
		[]Expect{exp("proxylogon-ssrf-autodiscover", finding.Low, "SSRF to autodiscover only")},
		[]Expect{frontDoor("/ecp/y.js"), ecpUA(uaEWSClient)}, nil, 0)
	ssrf(a, at(6, 49, 43, 699), uaPython2251, "/ecp/y.js", anchorBase+"/mapi/emsmdb/?#", "", 200, "/mapi/emsmdb/",
		[]Expect{exp("proxylogon-ssrf-backend", finding.High, "SSRF to /mapi/emsmdb (SID)")},
		[]Expect{frontDoor("/ecp/y.js"), ecpUA(uaPython2251)}, nil, stageExploit)
	ssrf(a, at(6, 49, 46, 210), uaPython2251, "/ecp/y.js", anchorBase+"/ecp/proxyLogon.ecp?#", "", 241, "/ecp/proxyLogon.ecp",
		[]Expect{exp("proxylogon-ssrf-backend", finding.High, "SSRF to proxyLogon.ecp, status 241")},
		[]Expect{frontDoor("/ecp/y.js"), ecpUA(uaPython2251)}, nil, stageExploit)
	getOAB := "/ecp/DDI/DDIService.svc/GetObject?msExchEcpCanary=M1xSxxxDuw.&schema=OABVirtualDirectory"
	ssrf(a, at(6, 49, 51, 543), uaPython2251, "/ecp/y.js", anchorBase+getOAB+"#", "", 200, getOAB,
		[]Expect{exp("proxylogon-ssrf-backend", finding.High, "SSRF GetObject OABVirtualDirectory")},
		[]Expect{frontDoor("/ecp/y.js"), ecpUA(uaPython2251)}, nil, stageExploit)
	setOAB := "/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=M1xSxxxDuw.&schema=OABVirtualDirectory"
	ssrf(a, at(6, 49, 53, 800), uaPython2251, "/ecp/y.js", anchorBase+setOAB+"#", "", 200, setOAB,
		[]Expect{exp("proxylogon-ssrf-backend", finding.High, "SSRF SetObject OABVirtualDirectory")},
		[]Expect{frontDoor("/ecp/y.js"), ecpUA(uaPython2251)}, nil, stageExploit)
	resetOAB := "/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=M1xSxxxDuw.&schema=ResetOABVirtualDirectory"
	ssrf(a, at(6, 49, 57, 120), uaPython2251, "/ecp/y.js", anchorBase+resetOAB+"#", "", 200, resetOAB,
		[]Expect{exp("proxylogon-ssrf-backend", finding.High, "SSRF SetObject ResetOABVirtualDirectory"),
			exp("proxylogon-reset-vdir", finding.Critical, "ResetOABVirtualDirectory with status 200")},
		[]Expect{frontDoor("/ecp/y.js"), ecpUA(uaPython2251)},
		[]Expect{exp("iis-backend-reset-vdir", finding.Critical, "back-end ResetOABVirtualDirectory by the machine account, 200: the shell was written")},
		stageExploit|stageShellWrite)
	ssrf(a, at(7, 2, 10, 5), uaPython2251, "/ecp/y.js", "", "Server~a]@"+serverFQDN+":444/ecp/proxyLogon.ecp?~1942062522", 241, "/ecp/proxyLogon.ecp",
		[]Expect{exp("proxylogon-ssrf-backend", finding.High, "BackEndCookie form of the SSRF (Microsoft's updated query)")},
		[]Expect{frontDoor("/ecp/y.js"), ecpUA(uaPython2251)}, nil, stageExploit)

	// Actor D: a second group's write that failed.
	resetQQ := "/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=QQ.&schema=ResetOABVirtualDirectory"
	ssrf(d, at(9, 15, 2, 300), uaPython2251, "/ecp/x.js", anchorBase+resetQQ+"#", "", 500, resetQQ,
		[]Expect{exp("proxylogon-ssrf-backend", finding.Medium, "SSRF that failed (500)"),
			exp("proxylogon-reset-vdir", finding.Medium, "ResetOABVirtualDirectory that failed (500)")},
		[]Expect{frontDoor("/ecp/x.js"), ecpUA(uaPython2251)},
		[]Expect{exp("iis-backend-reset-vdir", finding.Medium, "back-end ResetOABVirtualDirectory by the machine account that failed (500)")}, 0)

	// Actor B's scans: Microsoft's nmap check style (localhost) and a Burp
	// Collaborator probe. Neither reaches this server's back end.
	probe := g.ssrfRow(at(3, 12, 4, 546), b.ip, uaNmapProbe, "ServerInfo~localhost/ecp/default.flt?", "", "500", "/owa/auth/x.js")
	probe["Method"], probe["TargetServer"], probe["RoutingHint"], probe["RoutingType"], probe["AuthenticationType"], probe["Protocol"] =
		"GET", "localhost", "X-AnonResource-Backend-Cookie", "CrossRegion", "FBA", "Owa"
	add(&request{actor: b, at: at(3, 12, 4, 546), stages: stageAttack,
		proxy: &protoRow{"Owa", plantedRow{at: at(3, 12, 4, 546), fields: probe,
			expect: []Expect{exp("proxylogon-ssrf-localhost-probe", finding.Low, "nmap-style localhost probe")}}},
		front: iisLine{at: at(3, 12, 4, 546), method: "GET", stem: "/owa/auth/x.js", query: g.cafeQuery("", probe["RequestId"], false),
			clientIP: b.ip, ua: uaNmapProbe, status: 500, taken: 187,
			expect: []Expect{exp("iis-ssrf-front-door", finding.Low, "GET /owa/auth/x.js: the stem of Microsoft's nmap check")}}})
	burp := g.ssrfRow(at(3, 40, 17, 95), b.ip, uaBurpProbe, "ServerInfo~q8r2c7vz1k.burpcollaborator.net/ecp/default.flt?", "", "500", "/ecp/x.js")
	burp["Method"], burp["RoutingHint"] = "GET", "X-AnonResource-Backend-Cookie"
	add(&request{actor: b, at: at(3, 40, 17, 95), stages: stageAttack,
		proxy: &protoRow{"Ecp", plantedRow{at: at(3, 40, 17, 95), fields: burp,
			expect: []Expect{exp("proxylogon-ssrf-probe", finding.Low, "Burp Collaborator out-of-band probe: a scan, not a compromise")}}},
		// A GET to /ecp/x.js: not one of the front doors IIS rules name.
		front: iisLine{at: at(3, 40, 17, 95), method: "GET", stem: "/ecp/x.js", query: g.cafeQuery("", burp["RequestId"], false),
			clientIP: b.ip, ua: uaBurpProbe, status: 500, taken: 203}})

	// Actor B later: an attempt that only reaches autodiscover (no
	// mailbox to go on with), a POST to one of Volexity's static targets,
	// then probes for shells others may have left.
	ssrf(b, at(10, 2, 13, 418), uaPython2191, "/ecp/zq.js", anchorBase+"/autodiscover/autodiscover.xml?#", "", 200, "/autodiscover/autodiscover.xml",
		[]Expect{exp("proxylogon-ssrf-autodiscover", finding.Low, "autodiscover-only SSRF of a prober")},
		[]Expect{frontDoor("/ecp/zq.js"), ecpUA(uaPython2191)}, nil, 0)
	css := g.shellRow(at(10, 2, 19, 733), b.ip, uaGooglebotPub, "POST", "/owa/auth/Current/themes/resources/logon.css", "", "404")
	add(&request{actor: b, at: at(10, 2, 19, 733), stages: stageAttack,
		proxy: &protoRow{"Owa", plantedRow{at: at(10, 2, 19, 733), fields: css}},
		front: iisLine{at: at(10, 2, 19, 733), method: "POST", stem: "/owa/auth/Current/themes/resources/logon.css", query: g.cafeQuery("", css["RequestId"], false),
			clientIP: b.ip, ua: uaGooglebotPub, status: 404, win32: 2, taken: 11, expect: []Expect{
				exp("iis-exploit-post-target", finding.Medium, "POST to a Volexity target below /owa/auth/Current/themes/resources"),
				exp("iis-attacker-user-agent", finding.Medium, "Volexity's Googlebot string on a POST to /owa/auth/Current"),
			}}})
	// Published shell names (see indicators/data/webshell-names.txt): the
	// auth folder redirects to the logon page, the web root answers 404.
	probeAt := at(10, 5, 0, 0)
	for i, name := range []string{"/owa/auth/errorFS.aspx", "/owa/auth/OutlookEN.aspx", "/owa/auth/shell.aspx", "/owa/auth/ErrorAA.aspx",
		"/owa/auth/supp0rt.aspx", "/owa/auth/one.aspx", "/aspnet_client/shell.aspx", "/aspnet_client/help.aspx",
		"/aspnet_client/aspnet_iisstart.aspx", "/aspnet_client/system_web/web.aspx", "/aspnet_client/HttpProxy.aspx", "/aspnet_client/errorEE.aspx"} {
		t := probeAt.Add(time.Duration(i) * 1100 * time.Millisecond)
		r := &request{actor: b, at: t, stages: stageAttack,
			front: iisLine{at: t, method: "GET", stem: name, clientIP: b.ip, ua: uaGooglebotOld, status: 404, win32: 2, taken: 3,
				expect: []Expect{
					exp("iis-webshell-probe", finding.Low, "probe for the published shell name "+path.Base(name)),
					exp("iis-attacker-user-agent", finding.Medium, "published web shell user agent on a request to "+path.Dir(name)+"/"),
				}}}
		if strings.HasPrefix(name, "/owa/") {
			fields := g.shellRow(t, b.ip, uaGooglebotOld, "GET", name, "", "302")
			r.proxy = &protoRow{"Owa", plantedRow{at: t, fields: fields, expect: []Expect{exp("webshell-request-probe", finding.Low, "probe for a published shell name")}}}
			r.front.query, r.front.status, r.front.win32 = g.cafeQuery("", fields["RequestId"], true), 302, 0
		}
		add(r)
	}

	// Actor A reads a mailbox through EWS with a password it took from the
	// LSASS dumps (08:11-08:20).
	mailbox := targetMailboxUser + "@" + g.opt.Domain
	in.mailboxes = append(in.mailboxes, mailbox)
	ews := g.shellRow(at(8, 47, 12, 409), a.ip, uaEWSClient, "POST", "/EWS/Exchange.asmx", "", "200")
	ews["Protocol"], ews["IsAuthenticated"], ews["AuthenticatedUser"], ews["AuthenticationType"] = "Ews", "true", g.netbios()+`\`+targetMailboxUser, "Ntlm"
	ews["AnchorMailbox"], ews["RoutingHint"], ews["TargetServer"] = "SMTP:"+mailbox, "X-AnchorMailbox", serverFQDN
	add(&request{actor: a, at: at(8, 47, 12, 409), stages: stageAttack | stageMailboxRead,
		proxy: &protoRow{"Ews", plantedRow{at: at(8, 47, 12, 409), fields: ews}},
		front: iisLine{at: at(8, 47, 12, 409), method: "POST", stem: "/EWS/Exchange.asmx", query: g.cafeQuery("", ews["RequestId"], false),
			user: ews["AuthenticatedUser"], clientIP: a.ip, ua: uaEWSClient, status: 200, taken: 412},
		back: &iisLine{at: at(8, 47, 12, 409), method: "POST", stem: "/EWS/Exchange.asmx", user: ews["AuthenticatedUser"], ua: uaEWSClient, status: 200, taken: 398}})

	// Actor A uses the shells: GETs with commands in the query, China
	// Chopper POSTs (the command is in the body, which IIS does not log).
	owaAuth, ecpAuth := g.exchange("FrontEnd/HttpProxy/owa/auth"), g.exchange("FrontEnd/HttpProxy/ecp/auth")
	shells := map[string]string{
		"/owa/auth/RedirSuiteServerProxy.aspx":          owaAuth + "/RedirSuiteServerProxy.aspx",
		"/owa/auth/Current/themes/resources/logon.aspx": owaAuth + "/Current/themes/resources/logon.aspx",
		"/ecp/auth/errorFS.aspx":                        ecpAuth + "/errorFS.aspx",
		"/aspnet_client/discover.aspx":                  "inetpub/wwwroot/aspnet_client/discover.aspx",
		"/aspnet_client/system_web/xTm1q.aspx":          "inetpub/wwwroot/aspnet_client/system_web/xTm1q.aspx",
	}
	use := func(t time.Time, method, stem, query, ua string) {
		e := []Expect{exp("iis-webshell-use", finding.Critical, "the planted shell "+path.Base(stem)+" answered 200")}
		if query != "" {
			e = append(e, exp("iis-webshell-command", finding.High, "command in the query: "+query))
		}
		if strings.HasPrefix(stem, "/owa/auth/Current/themes/resources/") && method == "POST" {
			e = append(e, exp("iis-exploit-post-target", finding.Medium, "POST below /owa/auth/Current/themes/resources"))
		}
		if ua == uaAntSword {
			e = append(e, exp("iis-attacker-user-agent", finding.Medium, "antSword on a request to "+path.Dir(stem)+"/"))
		}
		r := &request{actor: a, at: t, stages: stageAttack | stageShellUse, shell: shells[stem],
			front: iisLine{at: t, method: method, stem: stem, query: query, clientIP: a.ip, ua: ua, status: 200, taken: 90 + t.Second(), expect: e}}
		if !strings.HasPrefix(stem, "/aspnet_client/") {
			q := ""
			if query != "" {
				q = "?" + query
			}
			fields := g.shellRow(t, a.ip, ua, method, stem, q, "200")
			proto := "Owa"
			if strings.HasPrefix(stem, "/ecp/") {
				proto, fields["Protocol"] = "Ecp", "Ecp"
			}
			why := "web shell answered 200"
			if method == "POST" && strings.Contains(stem, "/Current/") {
				why = "POST to a shell below Current"
			}
			r.proxy = &protoRow{proto, plantedRow{at: t, fields: fields, expect: []Expect{exp("webshell-request-success", finding.Critical, why)}}}
			r.front.query = g.cafeQuery(query, fields["RequestId"], method == "GET")
		}
		add(r)
	}
	use(at(7, 20, 11, 0), "GET", "/owa/auth/RedirSuiteServerProxy.aspx", "", uaShellChrome)
	use(at(7, 20, 40, 0), "POST", "/owa/auth/Current/themes/resources/logon.aspx", "", uaShellChrome)
	use(at(7, 24, 5, 0), "POST", "/aspnet_client/discover.aspx", "", uaAntSword)
	use(at(7, 26, 31, 0), "GET", "/aspnet_client/system_web/xTm1q.aspx", "cmd=whoami", uaShellChrome)
	use(at(8, 5, 44, 0), "GET", "/owa/auth/RedirSuiteServerProxy.aspx", "cmd=net+user", uaShellChrome)
	use(at(8, 9, 2, 0), "GET", "/ecp/auth/errorFS.aspx", "exec=cmd+/c+whoami+/all", uaShellChrome)
	use(at(8, 10, 47, 0), "GET", "/aspnet_client/system_web/xTm1q.aspx", "cmd=powershell+-c+Get-Process+lsass", uaShellChrome)
	use(at(9, 31, 9, 0), "POST", "/aspnet_client/discover.aspx", "", uaAntSword)
	use(at(11, 58, 20, 0), "POST", "/owa/auth/RedirSuiteServerProxy.aspx", "", uaAntSword)
	use(at(12, 15, 33, 0), "GET", "/aspnet_client/system_web/xTm1q.aspx", "cmd=ipconfig+/all", uaShellChrome)
	use(at(13, 42, 7, 0), "POST", "/aspnet_client/discover.aspx", "", uaAntSword)

	// Actor C: plain requests from an indicator address, early in the day.
	for i, q := range []struct {
		stem, query string
		status      int
	}{{"/owa/", "", 302}, {"/owa/auth/logon.aspx", "url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0", 200}, {"/owa/", "", 302}, {"/ecp/", "", 302}} {
		t := at(1, 37, 12+i*3, 0)
		add(&request{actor: c, at: t,
			front: iisLine{at: t, method: "GET", stem: q.stem, query: g.cafeQuery(q.query, g.guid(), true), clientIP: c.ip, ua: uaFirefox, status: q.status, taken: 15 + i,
				expect: []Expect{exp("ioc-client-ip", finding.Medium, "request from "+c.ip+", on Volexity's list of exploitation addresses")}}})
	}
	sort.SliceStable(in.requests, func(i, j int) bool { return in.requests[i].at.Before(in.requests[j].at) })
	return in
}

// ssrfRow is an HttpProxy row of a forged request.
func (g *generator) ssrfRow(at time.Time, ip, ua, anchor, cookie, status, stem string) map[string]string {
	return map[string]string{
		"DateTime": stampMS(at), "RequestId": g.guid(), "MajorVersion": "15", "MinorVersion": "1", "BuildVersion": "2176",
		"RevisionVersion": "2", "Protocol": "Ecp", "UrlHost": "mail.contoso.com", "UrlStem": stem, "IsAuthenticated": "false",
		"AnchorMailbox": anchor, "UserAgent": proxyUA(ua), "ClientIpAddress": ip, "ServerHostName": g.opt.HostName, "HttpStatus": status,
		"BackEndStatus": status, "Method": "POST", "ProxyAction": "Proxy", "TargetServer": serverFQDN,
		"RoutingHint": "X-BEResource-Cookie", "BackEndCookie": cookie, "RoutingStatus": "CafeV1",
	}
}

// shellRow is an HttpProxy row of a request the front end answered itself
// (its auth folders) or passed on by the mailbox anchor.
func (g *generator) shellRow(at time.Time, ip, ua, method, stem, query, status string) map[string]string {
	return map[string]string{
		"DateTime": stampMS(at), "RequestId": g.guid(), "MajorVersion": "15", "MinorVersion": "1", "BuildVersion": "2176",
		"RevisionVersion": "2", "Protocol": "Owa", "UrlHost": "mail.contoso.com", "UrlStem": stem, "UrlQuery": query, "IsAuthenticated": "false",
		"UserAgent": proxyUA(ua), "ClientIpAddress": ip, "ServerHostName": g.opt.HostName, "HttpStatus": status, "Method": method, "RoutingStatus": "CafeV1",
	}
}

// proxyUA is a user agent as the HttpProxy rows of the real incident show
// it: the comma replaced by a space, which keeps the CSV field unquoted.
func proxyUA(ua string) string { return strings.ReplaceAll(ua, ",", " ") }

// cafeQuery is the query string Exchange's front end logs in IIS: the
// client's query, then its correlation and front-end request id (the
// HttpProxy RequestId), and for OWA pages an empty encoding.
func (g *generator) cafeQuery(query, requestID string, encoding bool) string {
	var b strings.Builder
	if query != "" {
		b.WriteString(query)
	}
	b.WriteString("&CorrelationID=<empty>;&cafeReqId=")
	b.WriteString(requestID)
	b.WriteByte(';')
	if encoding {
		b.WriteString("&encoding=;")
	}
	return b.String()
}

// netbios is the domain's NetBIOS name as accounts show it (CONTOSO).
func (g *generator) netbios() string {
	first, _, _ := strings.Cut(g.opt.Domain, ".")
	return strings.ToUpper(first)
}

// machineAccount is the server's computer account (CONTOSO\EX01$): the
// identity the back end sees for requests the front end makes itself,
// among them the forged ones.
func (g *generator) machineAccount() string {
	return g.netbios() + `\` + strings.ToUpper(g.opt.HostName) + "$"
}

// recordIncident fills the manifest's actors, mailboxes and milestones from
// the planted requests.
func (g *generator) recordIncident() {
	in := g.incident
	if in == nil {
		return
	}
	m := &g.man.Milestones
	first := func(t *time.Time, at time.Time) {
		if t.IsZero() || at.Before(*t) {
			*t = at
		}
	}
	last := func(t *time.Time, at time.Time) {
		if at.After(*t) {
			*t = at
		}
	}
	for _, act := range in.actors {
		out := Actor{IP: act.ip, Outcome: act.outcome, Note: act.note}
		shells, uas := map[string]bool{}, map[string]bool{}
		for _, r := range in.requests {
			if r.actor != act {
				continue
			}
			first(&out.FirstSeen, r.at)
			last(&out.LastSeen, r.at)
			uas[r.front.ua] = true
			if r.shell != "" {
				shells[r.shell] = true
			}
			if act.indicatorOnly {
				continue
			}
			first(&m.FirstAttempt, r.at)
			last(&m.LastActivity, r.at)
			if r.stages&stageExploit != 0 {
				first(&m.FirstExploitation, r.at)
			}
			if r.stages&stageShellWrite != 0 {
				first(&m.FirstWebshellWritten, r.at)
			}
			if r.stages&stageShellUse != 0 {
				first(&m.FirstWebshellUse, r.at)
				last(&m.LastWebshellUse, r.at)
			}
		}
		out.Webshells, out.UserAgents = sortedKeys(shells), sortedKeys(uas)
		g.man.Actors = append(g.man.Actors, out)
	}
	g.man.Mailboxes = append(g.man.Mailboxes, in.mailboxes...)
	m.Patched = g.patchedAt()
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// patchedAt is when the registry records the first update whose
// installation brings the build to a level with the ProxyLogon fix.
func (g *generator) patchedAt() time.Time {
	updates := append([]Update(nil), g.opt.Updates...)
	sort.SliceStable(updates, func(i, j int) bool { return updates[i].Installed.Before(updates[j].Installed) })
	saved := g.opt.Updates
	defer func() { g.opt.Updates = saved }()
	table := builds.MustBuiltin()
	for i := range updates {
		g.opt.Updates = updates[:i+1]
		if table.Lookup(g.effectiveBuild()).ProxyLogonPatched {
			return updates[i].Installed
		}
	}
	return time.Time{}
}
