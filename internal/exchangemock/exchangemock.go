// Package exchangemock is a fleet of pretend Exchange servers for the
// tests of exhunt probe: patched, vulnerable, mitigated, CU-level only,
// not Exchange, slow, redirecting and broken ones.
package exchangemock

import (
	"cmp"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The paths exhunt probe requests.
const (
	PathLogon      = "/owa/auth/logon.aspx"
	PathExportTool = "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application"
	PathSSRF       = "/owa/auth/x.js"
	PathService    = "/owa/service"
)

// Server answers as one kind of Exchange server (or not Exchange) over
// HTTP, for the tests of exhunt probe.
type Server struct {
	OWAVersion string // X-OWA-Version header, "" for none
	LogonPath  string // build in the logon page's resource paths
	ExportTool string // version in the export tool manifest, "" for 404
	// ServiceVersion is the X-OWA-Version header of /owa/service.
	ServiceVersion string
	// BuildFolders are the builds whose ECP folder holds the export
	// tool manifest (/ecp/15.1.2176.9/exporttool/...); AnyFolder answers
	// for every folder, as a catch-all page would.
	BuildFolders []string
	AnyFolder    bool
	SSRF         string // "vulnerable", "patched", "abort" (reset, as IIS URL Rewrite), "close" (closed without an answer)
	BETarget     string // X-CalculatedBETarget of a vulnerable one ("localhost" when empty)
	NotOWA       bool   // a web server that is not Exchange
	Delay        time.Duration
	Redirect     string // "same" (to the logon page with a query), "other" (to another host)
	Broken       bool   // drops every connection
}

// ServeHTTP answers the requests exhunt probe makes.
func (m Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	time.Sleep(m.Delay)
	if m.Broken {
		hijackClose(w, false)
		return
	}
	if m.NotOWA {
		fmt.Fprint(w, "<html><title>Welcome</title>It works</html>")
		return
	}
	if m.OWAVersion != "" {
		w.Header().Set("X-OWA-Version", m.OWAVersion)
	}
	switch {
	case r.URL.Path == PathLogon && m.Redirect == "other":
		http.Redirect(w, r, "https://adfs.example.org/adfs/ls/?wa=wsignin1.0", http.StatusFound)
	case r.URL.Path == PathLogon && m.Redirect == "same" && r.URL.RawQuery == "":
		http.Redirect(w, r, PathLogon+"?replaceCurrent=1", http.StatusFound)
	case r.URL.Path == PathLogon:
		fmt.Fprintf(w, `<html><head><link rel="shortcut icon" href="/owa/auth/%s/themes/resources/favicon.ico"></head>
<body><script>function IsOwaPremiumBrowser(){}</script><noscript>To use Outlook, browser settings must allow scripts to run.</noscript></body></html>`, m.LogonPath)
	case r.URL.Path == PathService:
		if m.ServiceVersion != "" {
			w.Header().Set("X-OWA-Version", m.ServiceVersion)
		}
		w.WriteHeader(440) // Login Timeout: OWA's answer without a session
	case strings.EqualFold(r.URL.Path, PathExportTool) && m.ExportTool != "":
		writeManifest(w, m.ExportTool)
	case m.folderManifest(r.URL.Path) != "":
		writeManifest(w, m.folderManifest(r.URL.Path))
	case r.URL.Path == PathSSRF && (m.SSRF == "abort" || m.SSRF == "close"):
		hijackClose(w, m.SSRF == "abort")
	case r.URL.Path == PathSSRF && m.SSRF == "vulnerable" && strings.Contains(r.Header.Get("Cookie"), "X-BEResource=localhost"):
		// Go canonicalises the name; what counts is its value.
		w.Header()["X-CalculatedBETarget"] = []string{cmp.Or(m.BETarget, "localhost")}
		w.WriteHeader(http.StatusInternalServerError)
	default:
		http.NotFound(w, r)
	}
}

// folderManifest is the build whose ECP folder path names the export
// tool manifest, when the server has that folder.
func (m Server) folderManifest(path string) string {
	rest, ok := strings.CutPrefix(strings.ToLower(path), "/ecp/")
	if !ok {
		return ""
	}
	build, file, ok := strings.Cut(rest, "/")
	if !ok || file != "exporttool/microsoft.exchange.ediscovery.exporttool.application" || build == "current" {
		return ""
	}
	if m.AnyFolder || slices.Contains(m.BuildFolders, build) {
		return build
	}
	return ""
}

func writeManifest(w http.ResponseWriter, version string) {
	fmt.Fprintf(w, `<?xml version="1.0"?><asmv1:assembly><assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.application" version="%s" publicKeyToken="b1d1a6c45aa418ce" language="neutral" processorArchitecture="msil" xmlns="urn:schemas-microsoft-com:asm.v1" /></asmv1:assembly>`, version)
}

// hijackClose drops the connection without an answer: with reset, by a
// TCP reset, as IIS URL Rewrite's AbortRequest does; else by closing it
// (a TLS connection without its close alert).
func hijackClose(w http.ResponseWriter, reset bool) {
	c, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if tcp, ok := c.(*net.TCPConn); ok && reset {
		tcp.SetLinger(0)
	}
	c.Close()
}
