package probe

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/exchangemock"
)

// Every kind of the mock fleet, over TLS and plain HTTP, with --active.
func TestMockFleet(t *testing.T) {
	if pathLogon != exchangemock.PathLogon || pathExportTool != exchangemock.PathExportTool || pathSSRF != exchangemock.PathSSRF || pathService != exchangemock.PathService {
		t.Fatal("the mock answers other paths than the probe requests")
	}
	for _, k := range exchangemock.Fleet() {
		for _, tls := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/tls=%v", k.Name, tls), func(t *testing.T) {
				t.Parallel()
				checkKind(t, k.Server, tls, true, k.Want)
			})
		}
	}
}

// Without --active the build alone speaks: a mitigated server is still
// open to CVE-2021-26855 as far as its build tells.
func TestMockFleetPassive(t *testing.T) {
	for _, tc := range []struct {
		name string
		mock exchangemock.Server
		want exchangemock.Want
	}{
		{"vulnerable", exchangemock.Server{OWAVersion: "15.1.2176.2", LogonPath: "15.1.2176", SSRF: "vulnerable"},
			exchangemock.Want{Exchange: true, Vulnerable: VulnerableYes, Build: "15.1.2176.2", Precision: "exact", Source: "X-OWA-Version header", HasCVE: "CVE-2021-26855"}},
		{"mitigated", exchangemock.Server{OWAVersion: "15.1.2176.2", LogonPath: "15.1.2176", SSRF: "abort"},
			exchangemock.Want{Exchange: true, Vulnerable: VulnerableYes, Build: "15.1.2176.2", Precision: "exact", Source: "X-OWA-Version header", HasCVE: "CVE-2021-26855"}},
		{"patched", exchangemock.Server{OWAVersion: "15.2.1544.4", SSRF: "vulnerable"},
			exchangemock.Want{Exchange: true, Vulnerable: VulnerableNo, Build: "15.2.1544.4", Precision: "exact", Source: "X-OWA-Version header", NotCVE: "CVE-2021-26855"}},
	} {
		t.Run(tc.name, func(t *testing.T) { checkKind(t, tc.mock, false, false, tc.want) })
	}
}

func checkKind(t *testing.T, mock exchangemock.Server, useTLS, active bool, want exchangemock.Want) {
	t.Helper()
	var srv *httptest.Server
	if useTLS {
		srv = httptest.NewTLSServer(mock)
	} else {
		srv = httptest.NewServer(mock)
	}
	defer srv.Close()
	targets, err := Parse([]string{srv.URL}, 1)
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Active: active, Insecure: true, Timeout: exchangemock.SlowDelay * 2 / 3, UserAgent: "exhunt-test"}
	r := Check(context.Background(), NewClient(opt), targets[0], opt)
	if (r.Error != "") != want.Failed {
		t.Fatalf("error %q, want an error %v; %+v", r.Error, want.Failed, r)
	}
	if r.Exchange != want.Exchange || r.Vulnerable != want.Vulnerable || r.Build != want.Build ||
		r.BuildPrecision != want.Precision || r.BuildSource != want.Source ||
		want.HasCVE != "" && !slices.Contains(r.CVEs, want.HasCVE) || want.NotCVE != "" && slices.Contains(r.CVEs, want.NotCVE) {
		t.Errorf("got exchange %v, %s, build %q (%s, %s), CVEs %v\nevidence: %q", r.Exchange, r.Vulnerable, r.Build, r.BuildPrecision, r.BuildSource, r.CVEs, r.Evidence)
	}
	if active && !want.Failed && want.Exchange {
		routed := slices.ContainsFunc(r.Evidence, func(e string) bool { return strings.Contains(e, "routed to the server's own back end") })
		if routed != want.SSRF {
			t.Errorf("CVE-2021-26855 request routed %v, want %v: %q", routed, want.SSRF, r.Evidence)
		}
	}
}

// A self-signed certificate is refused unless the user accepts it.
func TestCertificateVerified(t *testing.T) {
	srv := httptest.NewTLSServer(exchangemock.Server{OWAVersion: "15.2.1544.4"})
	defer srv.Close()
	targets, _ := Parse([]string{srv.URL}, 1)
	opt := Options{Timeout: time.Second}
	r := Check(context.Background(), NewClient(opt), targets[0], opt)
	if !strings.Contains(r.Error, "certificate") || !strings.Contains(r.Error, "--insecure accepts it") {
		t.Errorf("a self-signed certificate without --insecure: %+v", r)
	}
}

// A fleet checked at once: every target answered, each with its own result.
func TestRunFleet(t *testing.T) {
	kinds := []exchangemock.Server{
		{OWAVersion: "15.2.1544.4", LogonPath: "15.2.1544"},
		{OWAVersion: "15.1.2176.2", LogonPath: "15.1.2176"},
		{NotOWA: true},
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

// URL Rewrite's abort resets the connection (the fleet's mitigated
// kind); a connection closed without an answer is taken the same way.
func TestMitigationByClose(t *testing.T) {
	for _, useTLS := range []bool{true, false} {
		checkKind(t, exchangemock.Server{OWAVersion: "15.1.2176.2", SSRF: "close"}, useTLS, true,
			exchangemock.Want{Exchange: true, Vulnerable: VulnerableYes, Build: "15.1.2176.2", Precision: "exact", Source: "X-OWA-Version header", HasCVE: "CVE-2021-26857", NotCVE: "CVE-2021-26855"})
	}
}

// The reasons a target was not checked say what happened in words, and
// what to do where the user can do something.
func TestDescribe(t *testing.T) {
	dnsErr := &url.Error{Op: "Get", URL: "https://mail.example.invalid", Err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "mail.example.invalid", IsNotFound: true}}}
	if got := describe(context.Background(), dnsErr, Options{}); !strings.HasPrefix(got, "the name mail.example.invalid is not known to DNS") {
		t.Errorf("DNS: %q", got)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	targets, _ := Parse([]string{addr}, 1)
	opt := Options{Timeout: time.Second}
	if r := Check(context.Background(), NewClient(opt), targets[0], opt); !strings.HasPrefix(r.Error, "connection refused: nothing listens there") {
		t.Errorf("refused: %q", r.Error)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	<-ctx.Done()
	if got := describe(ctx, ctx.Err(), Options{Timeout: 2 * time.Second}); got != "no answer within 2s (--timeout)" {
		t.Errorf("timeout: %q", got)
	}
	ctx, stop := context.WithCancel(context.Background())
	stop()
	if got := describe(ctx, ctx.Err(), Options{Timeout: 2 * time.Second}); got != "interrupted before an answer" {
		t.Errorf("interrupted: %q", got)
	}
}

// A target's answer is read within bounds: a header of megabytes is an
// error, not memory taken.
func TestHugeHeader(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-OWA-Version", "15.1.2176.2")
		w.Header().Set("X-Filler", strings.Repeat("a", 2*maxHeaders))
		fmt.Fprint(w, "IsOwaPremiumBrowser")
	}))
	defer srv.Close()
	targets, _ := Parse([]string{srv.URL}, 1)
	opt := Options{Timeout: 2 * time.Second}
	if r := Check(context.Background(), NewClient(opt), targets[0], opt); r.Error == "" || r.Exchange {
		t.Errorf("a header of %d bytes was taken: %+v", 2*maxHeaders, r)
	}
}
