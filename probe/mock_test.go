package probe

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/exchangemock"
)

func TestMockFleet(t *testing.T) {
	if pathLogon != exchangemock.PathLogon || pathExportTool != exchangemock.PathExportTool || pathSSRF != exchangemock.PathSSRF {
		t.Fatal("the mock answers other paths than the probe requests")
	}
	for _, tc := range []struct {
		name       string
		mock       exchangemock.Server
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
		{name: "patched", mock: exchangemock.Server{OWAVersion: "15.2.1544.4", LogonPath: "15.2.1544", SSRF: "patched"}, tls: true, active: true,
			exchange: true, vulnerable: VulnerableNo, build: "15.2.1544.4", precision: "exact", source: "X-OWA-Version header", notCVE: "CVE-2021-26855"},
		{name: "vulnerable", mock: exchangemock.Server{OWAVersion: "15.1.2176.2", LogonPath: "15.1.2176", SSRF: "vulnerable"}, tls: true, active: true,
			exchange: true, vulnerable: VulnerableYes, build: "15.1.2176.2", precision: "exact", hasCVE: "CVE-2021-26855"},
		{name: "vulnerable, passive", mock: exchangemock.Server{OWAVersion: "15.1.2176.2", LogonPath: "15.1.2176", SSRF: "vulnerable"},
			exchange: true, vulnerable: VulnerableYes, build: "15.1.2176.2", precision: "exact", hasCVE: "CVE-2021-26855"},
		{name: "mitigated by URL Rewrite", mock: exchangemock.Server{OWAVersion: "15.1.2176.2", LogonPath: "15.1.2176", SSRF: "abort"}, active: true,
			exchange: true, vulnerable: VulnerableYes, build: "15.1.2176.2", precision: "exact", hasCVE: "CVE-2021-26857", notCVE: "CVE-2021-26855"},
		{name: "CU level only", mock: exchangemock.Server{LogonPath: "15.1.2176"},
			exchange: true, vulnerable: VulnerableYes, build: "15.1.2176", precision: "cu", source: "logon page resource path", hasCVE: "CVE-2022-41082", notCVE: "CVE-2021-26855"},
		{name: "export tool", mock: exchangemock.Server{LogonPath: "15.2.1118", ExportTool: "15.2.1118.7"}, tls: true,
			exchange: true, vulnerable: VulnerableYes, build: "15.2.1118.7", precision: "exact", source: "export tool manifest", hasCVE: "CVE-2022-41082"},
		{name: "redirect on its own host", mock: exchangemock.Server{OWAVersion: "15.2.1544.4", LogonPath: "15.2.1544", Redirect: "same"},
			exchange: true, vulnerable: VulnerableNo, build: "15.2.1544.4", precision: "exact"},
		{name: "redirect to another host", mock: exchangemock.Server{Redirect: "other"},
			exchange: false, vulnerable: VulnerableUnknown},
		{name: "not Exchange", mock: exchangemock.Server{NotOWA: true}, tls: true, active: true, exchange: false, vulnerable: VulnerableNo},
		{name: "slow", mock: exchangemock.Server{Delay: 1500 * time.Millisecond, LogonPath: "15.2.1544"}, wantErr: true},
		{name: "broken", mock: exchangemock.Server{Broken: true}, wantErr: true},
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
	srv := httptest.NewTLSServer(exchangemock.Server{OWAVersion: "15.2.1544.4"})
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
