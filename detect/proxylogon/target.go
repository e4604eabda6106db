// Package proxylogon finds exploitation of the March 2021 Exchange
// vulnerability chain (CVE-2021-26855 server-side request forgery, and the
// CVE-2021-26858 and CVE-2021-27065 file writes it unlocked) in Exchange's
// own logs: HttpProxy, ECP Server and OABGenerator.
//
// The checks do what Microsoft's Test-ProxyLogon.ps1 does and go further:
// the attempts it drops (autodiscover-only requests, localhost scanner
// probes) are kept as low-severity attempts, scanners' checks of static
// files and out-of-band hosts, which Test-ProxyLogon counts as hits, are
// told apart from attacks, the blog's BackEndCookie form of
// the request forgery is checked, the HTTP status grades how far a request
// got, and ECP lines are decoded so that the evidence is the cmdlet, the
// property and the script rather than a file name.
package proxylogon

import (
	"path"
	"strconv"
	"strings"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/source/literal"
)

var cves26855 = []string{"CVE-2021-26855"}

// ssrfTarget is the back-end request an attacker smuggled through the
// X-BEResource / X-AnonResource-Backend cookie, as the front end logged it.
type ssrfTarget struct {
	// Source is the field it was read from: AnchorMailbox or BackEndCookie.
	Source string
	// Host is what stands between the prefix and the first slash, e.g.
	// "a]@EX01.contoso.local:444" or "localhost".
	Host string
	// Path starts with the first slash, e.g. "/ecp/proxyLogon.ecp?#".
	Path string
}

// parseAnchor reads AnchorMailbox values of the form ServerInfo~<host>/<path>
// (Microsoft: AnchorMailbox like 'ServerInfo~*/*'). Exchange's own health
// probes route by ServerInfo~<fqdn> with no path; those are not targets.
func parseAnchor(v string) (ssrfTarget, bool) {
	rest, slash, ok := afterPrefix(v, "serverinfo~")
	if !ok {
		return ssrfTarget{}, false
	}
	return ssrfTarget{Source: "AnchorMailbox", Host: rest[:slash], Path: rest[slash:]}, true
}

// afterPrefix strips a case-insensitive prefix and finds the slash that
// starts the target path.
func afterPrefix(v, lowerPrefix string) (rest string, slash int, ok bool) {
	if len(v) < len(lowerPrefix) || !strings.EqualFold(v[:len(lowerPrefix)], lowerPrefix) {
		return "", 0, false
	}
	rest = v[len(lowerPrefix):]
	slash = strings.IndexByte(rest, '/')
	return rest, slash, slash >= 0
}

// parseBackEndCookie reads BackEndCookie values of the form
// Server~<host>/<path>~<suffix> (Microsoft's updated query: BackEndCookie
// like 'Server~*/*~*'). Benign cookies are Server~<fqdn>~<version>~<date>,
// without a slash before the second tilde.
func parseBackEndCookie(v string) (ssrfTarget, bool) {
	rest, slash, ok := afterPrefix(v, "server~")
	if !ok {
		return ssrfTarget{}, false
	}
	tilde := strings.LastIndexByte(rest, '~')
	if tilde < slash {
		return ssrfTarget{}, false
	}
	return ssrfTarget{Source: "BackEndCookie", Host: rest[:slash], Path: rest[slash:tilde]}, true
}

// targetOf returns the forged back-end target of an HttpProxy record, if any.
// A line that holds a ServerInfo~ anchor in a file whose field list names
// neither column cannot be judged, and is reported rather than dropped.
func targetOf(rec *detect.LogRecord) (ssrfTarget, bool) {
	if !rec.Has("AnchorMailbox") && !rec.Has("BackEndCookie") {
		if rec.Problem != nil && literal.IndexFold(rec.Raw, "serverinfo~") >= 0 {
			rec.Problem(rec.Line, "line holds a ServerInfo~ anchor but the field list in force has no AnchorMailbox or BackEndCookie column; review it by hand")
		}
		return ssrfTarget{}, false
	}
	if t, ok := parseAnchor(rec.Get("AnchorMailbox")); ok {
		return t, true
	}
	return parseBackEndCookie(rec.Get("BackEndCookie"))
}

// isLocalhostProbe matches Microsoft's exclusion ServerInfo~localhost*/*:
// scanners, Microsoft's own nmap script among them, aim the forged cookie
// at localhost on a static file to see whether the front end follows it.
func (t ssrfTarget) isLocalhostProbe() bool {
	return len(t.Host) >= 9 && strings.EqualFold(t.Host[:9], "localhost")
}

// isAutodiscover matches Microsoft's exclusion ServerInfo~*/autodiscover*:
// an attacker who reaches only autodiscover has not yet found a mailbox to
// impersonate. The path must begin with it, so /ecp/...?/autodiscover does
// not slip through as an attempt.
func (t ssrfTarget) isAutodiscover() bool {
	return len(t.Path) >= 13 && strings.EqualFold(t.Path[:13], "/autodiscover")
}

// isDynamic tells a back-end page that does work (ECP services, MAPI,
// proxyLogon.ecp) from the static files scanners aim at (default.flt, x.js,
// logon.aspx of the NSE script). A request for a static file proves only
// that the front end followed the cookie, not that anything was done on
// the back end.
//
// The test leans towards dynamic: a path is static only when it is plainly
// a file of a static kind, so that an attacker cannot dress a page that
// does work as a static file. Encoded characters, parameters (;), dot
// segments and a page extension on an earlier segment (IIS serves
// /ecp/proxyLogon.ecp/x.js with proxyLogon.ecp) all count as dynamic.
func (t ssrfTarget) isDynamic() bool {
	p := strings.ToLower(t.Path)
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if strings.ContainsAny(p, "%;\\:") || strings.Contains(p, "..") {
		return true
	}
	if p == "/owa/auth/logon.aspx" {
		return false // the logon form, what Microsoft's nmap script asks for
	}
	dir, last := "", p
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		dir, last = p[:i], p[i+1:]
	}
	for _, seg := range strings.Split(dir, "/") {
		if pageExtensions[path.Ext(seg)] {
			return true
		}
	}
	return !staticExtensions[path.Ext(last)]
}

// staticExtensions are files IIS sends as they are.
var staticExtensions = map[string]bool{
	".flt": true, ".js": true, ".css": true, ".gif": true, ".png": true, ".jpg": true, ".jpeg": true,
	".ico": true, ".svg": true, ".htm": true, ".html": true, ".txt": true, ".woff": true, ".ttf": true,
}

// pageExtensions are those of the ASP.NET and Exchange handlers on the back
// end, which run with any path after them.
var pageExtensions = map[string]bool{
	".aspx": true, ".ecp": true, ".svc": true, ".asmx": true, ".ashx": true, ".axd": true,
	".asp": true, ".asa": true, ".cshtml": true, ".rem": true, ".soap": true, ".xamlx": true,
}

// isOutOfBand tells whether the target host is a public out-of-band
// interaction service: a scanner (Burp Suite, nuclei, ...) points the
// forged cookie at its own listener and watches for the server's callback.
// Only the host itself or a sub-domain of a listed domain counts, after
// dropping user information (up to the last @), a port and a trailing dot.
func (t ssrfTarget) isOutOfBand() bool {
	h := t.Host
	if i := strings.LastIndexByte(h, '@'); i >= 0 {
		h = h[i+1:]
	}
	if i := strings.IndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	h = strings.ToLower(strings.TrimRight(h, "."))
	for _, d := range outOfBandDomains {
		if h == d || strings.HasSuffix(h, "."+d) {
			return true
		}
	}
	return false
}

// outOfBandDomains are public out-of-band interaction services that
// vulnerability scanners use for blind server-side request forgery checks.
// A forged request aimed at one of them is a scan, not an intrusion.
var outOfBandDomains = []string{
	// PortSwigger's Burp Collaborator: the public default server, first
	// burpcollaborator.net, later oastify.com (Burp Suite documentation,
	// "Burp Collaborator").
	"burpcollaborator.net",
	"oastify.com",
	// ProjectDiscovery's interactsh, used by nuclei: the service's own
	// names and the default public servers listed in the interactsh-client
	// usage (-server default oast.pro,oast.live,oast.site,oast.online,
	// oast.fun,oast.me).
	"interact.sh",
	"interactsh.com",
	"oast.pro",
	"oast.live",
	"oast.site",
	"oast.online",
	"oast.fun",
	"oast.me",
	// DNSLog.cn, a public DNS interaction logger (its own site).
	"dnslog.cn",
	// Thinkst Canarytokens, whose DNS and web tokens record callbacks
	// (canarytokens.org documentation).
	"canarytokens.com",
	// Request-collecting endpoints: RequestBin (requestbin.net) and
	// Pipedream's request bins (*.m.pipedream.net, Pipedream docs).
	"requestbin.net",
	"pipedream.net",
}

// statusClass grades an HTTP status: the request got through (2xx; ECP's
// proxyLogon.ecp answers 241), failed, or the log has no status.
type statusClass int

const (
	statusUnknown statusClass = iota
	statusSuccess
	statusFailed
)

func classifyStatus(s string) statusClass {
	code, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || code <= 0 {
		return statusUnknown
	}
	if code >= 200 && code < 300 {
		return statusSuccess
	}
	return statusFailed
}

// httpProxyLiterals select the HttpProxy lines worth parsing: every forged
// target carries one of the two prefixes.
var httpProxyLiterals = []string{"ServerInfo~", "Server~"}
