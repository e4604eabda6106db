package probe

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// exchangeMock answers as one kind of server of a fleet.
type exchangeMock struct {
	owaVersion string // X-OWA-Version header, "" for none
	logonPath  string // build in the logon page's resource paths
	exportTool string // version in the export tool manifest, "" for 404
	ssrf       string // "vulnerable", "patched", "abort"
	notOWA     bool   // a web server that is not Exchange
	delay      time.Duration
	redirect   string // "same" (to the logon page with a query), "other" (to another host)
	broken     bool   // drops every connection
}

func (m exchangeMock) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	time.Sleep(m.delay)
	if m.broken {
		hijackClose(w)
		return
	}
	if m.notOWA {
		fmt.Fprint(w, "<html><title>Welcome</title>It works</html>")
		return
	}
	if m.owaVersion != "" {
		w.Header().Set("X-OWA-Version", m.owaVersion)
	}
	switch {
	case r.URL.Path == pathLogon && m.redirect == "other":
		http.Redirect(w, r, "https://adfs.example.org/adfs/ls/?wa=wsignin1.0", http.StatusFound)
	case r.URL.Path == pathLogon && m.redirect == "same" && r.URL.RawQuery == "":
		http.Redirect(w, r, pathLogon+"?replaceCurrent=1", http.StatusFound)
	case r.URL.Path == pathLogon:
		fmt.Fprintf(w, `<html><head><link rel="shortcut icon" href="/owa/auth/%s/themes/resources/favicon.ico"></head>
<body><script>function IsOwaPremiumBrowser(){}</script><noscript>To use Outlook, browser settings must allow scripts to run.</noscript></body></html>`, m.logonPath)
	case strings.EqualFold(r.URL.Path, pathExportTool) && m.exportTool != "":
		fmt.Fprintf(w, `<?xml version="1.0"?><asmv1:assembly><assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.application" version="%s" publicKeyToken="b1d1a6c45aa418ce" language="neutral" processorArchitecture="msil" xmlns="urn:schemas-microsoft-com:asm.v1" /></asmv1:assembly>`, m.exportTool)
	case r.URL.Path == pathSSRF && m.ssrf == "abort":
		hijackClose(w)
	case r.URL.Path == pathSSRF && m.ssrf == "vulnerable" && strings.Contains(r.Header.Get("Cookie"), "X-BEResource=localhost"):
		// Go canonicalises the name; what counts is its value.
		w.Header()["X-CalculatedBETarget"] = []string{"localhost"}
		w.WriteHeader(http.StatusInternalServerError)
	default:
		http.NotFound(w, r)
	}
}

// hijackClose drops the connection without an answer, as IIS URL
// Rewrite's AbortRequest does.
func hijackClose(w http.ResponseWriter) {
	if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
		c.Close()
	}
}

func TestMockFleet(t *testing.T) {
	for _, tc := range []struct {
		name       string
		mock       exchangeMock
		tls        bool
		active     bool
		exchange   bool
		vulnerable string
		build      string
		precision  string
		source     string
		hasCVE     string
		notCVE     string
		wantErr    bool
	}{
		{name: "patched", mock: exchangeMock{owaVersion: "15.2.1544.4", logonPath: "15.2.1544", ssrf: "patched"}, tls: true, active: true,
			exchange: true, vulnerable: VulnerableNo, build: "15.2.1544.4", precision: "exact", source: "X-OWA-Version header", notCVE: "CVE-2021-26855"},
		{name: "vulnerable", mock: exchangeMock{owaVersion: "15.1.2176.2", logonPath: "15.1.2176", ssrf: "vulnerable"}, tls: true, active: true,
			exchange: true, vulnerable: VulnerableYes, build: "15.1.2176.2", precision: "exact", hasCVE: "CVE-2021-26855"},
		{name: "vulnerable, passive", mock: exchangeMock{owaVersion: "15.1.2176.2", logonPath: "15.1.2176", ssrf: "vulnerable"},
			exchange: true, vulnerable: VulnerableYes, build: "15.1.2176.2", precision: "exact", hasCVE: "CVE-2021-26855"},
		{name: "mitigated by URL Rewrite", mock: exchangeMock{owaVersion: "15.1.2176.2", logonPath: "15.1.2176", ssrf: "abort"}, active: true,
			exchange: true, vulnerable: VulnerableYes, build: "15.1.2176.2", precision: "exact", hasCVE: "CVE-2021-26857", notCVE: "CVE-2021-26855"},
		{name: "CU level only", mock: exchangeMock{logonPath: "15.1.2176"},
			exchange: true, vulnerable: VulnerableYes, build: "15.1.2176", precision: "cu", source: "logon page resource path", hasCVE: "CVE-2022-41082", notCVE: "CVE-2021-26855"},
		{name: "export tool", mock: exchangeMock{logonPath: "15.2.1118", exportTool: "15.2.1118.7"}, tls: true,
			exchange: true, vulnerable: VulnerableYes, build: "15.2.1118.7", precision: "exact", source: "export tool manifest", hasCVE: "CVE-2022-41082"},
		{name: "redirect on its own host", mock: exchangeMock{owaVersion: "15.2.1544.4", logonPath: "15.2.1544", redirect: "same"},
			exchange: true, vulnerable: VulnerableNo, build: "15.2.1544.4", precision: "exact"},
		{name: "redirect to another host", mock: exchangeMock{redirect: "other"},
			exchange: false, vulnerable: VulnerableUnknown},
		{name: "not Exchange", mock: exchangeMock{notOWA: true}, tls: true, active: true, exchange: false, vulnerable: VulnerableNo},
		{name: "slow", mock: exchangeMock{delay: 1500 * time.Millisecond, logonPath: "15.2.1544"}, wantErr: true},
		{name: "broken", mock: exchangeMock{broken: true}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var srv *httptest.Server
			if tc.tls {
				srv = httptest.NewTLSServer(tc.mock)
			} else {
				srv = httptest.NewServer(tc.mock)
			}
			defer srv.Close()
			targets, err := Parse([]string{srv.URL}, 1)
			if err != nil {
				t.Fatal(err)
			}
			opt := Options{Active: tc.active, Insecure: true, Timeout: time.Second, UserAgent: "exhunt-test"}
			r := Check(context.Background(), NewClient(opt), targets[0], opt)
			if (r.Error != "") != tc.wantErr {
				t.Fatalf("error %q, want an error %v; %+v", r.Error, tc.wantErr, r)
			}
			if tc.wantErr {
				return
			}
			if r.Exchange != tc.exchange || r.Vulnerable != tc.vulnerable || r.Build != tc.build ||
				r.BuildPrecision != tc.precision || tc.source != "" && r.BuildSource != tc.source ||
				tc.hasCVE != "" && !slices.Contains(r.CVEs, tc.hasCVE) || tc.notCVE != "" && slices.Contains(r.CVEs, tc.notCVE) {
				t.Errorf("got exchange %v, %s, build %q (%s, %s), CVEs %v\nevidence: %q", r.Exchange, r.Vulnerable, r.Build, r.BuildPrecision, r.BuildSource, r.CVEs, r.Evidence)
			}
		})
	}
}

// A self-signed certificate is refused unless the user accepts it.
func TestCertificateVerified(t *testing.T) {
	srv := httptest.NewTLSServer(exchangeMock{owaVersion: "15.2.1544.4"})
	defer srv.Close()
	targets, _ := Parse([]string{srv.URL}, 1)
	opt := Options{Timeout: time.Second}
	r := Check(context.Background(), NewClient(opt), targets[0], opt)
	if r.Error == "" || !strings.Contains(r.Error, "certificate") {
		t.Errorf("a self-signed certificate without --insecure: %+v", r)
	}
}

// A fleet checked at once: every target answered, each with its own result.
func TestRunFleet(t *testing.T) {
	kinds := []exchangeMock{
		{owaVersion: "15.2.1544.4", logonPath: "15.2.1544"},
		{owaVersion: "15.1.2176.2", logonPath: "15.1.2176"},
		{notOWA: true},
	}
	var urls []string
	want := map[string]string{}
	for i := range 30 {
		srv := httptest.NewServer(kinds[i%3])
		defer srv.Close()
		urls = append(urls, srv.URL)
		want[strings.TrimPrefix(srv.URL, "http://")] = []string{VulnerableNo, VulnerableYes, VulnerableNo}[i%3]
	}
	targets, err := Parse(urls, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	Run(context.Background(), targets, Options{Timeout: 2 * time.Second}, 8, func(i int, r Result) {
		if seen[i] {
			t.Errorf("target %d reported twice", i)
		}
		seen[i] = true
		if r.Target != targets[i].String() || r.Vulnerable != want[targets[i].HostPort()] {
			t.Errorf("%s: %+v", targets[i], r)
		}
	})
	if len(seen) != len(targets) {
		t.Errorf("%d of %d targets reported", len(seen), len(targets))
	}
}
