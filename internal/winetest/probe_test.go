//go:build linux

package winetest

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/internal/exchangemock"
)

// TestProbe checks the mock fleet from exhunt.exe under Wine and from the
// Linux binary: the same answer for every kind. Windows sockets report a
// reset by Winsock's own number, which the probe must still take for
// URL Rewrite's abort.
func TestProbe(t *testing.T) {
	m := wine(t)
	var targets []string
	kinds := map[string]exchangemock.Kind{}
	for _, k := range exchangemock.Fleet() {
		srv := httptest.NewTLSServer(k.Server)
		defer srv.Close()
		targets = append(targets, srv.URL)
		kinds[srv.URL] = k
	}
	args := append([]string{"probe", "--active", "--insecure", "--format", "json", "--timeout", (exchangemock.SlowDelay * 2 / 3).String()}, targets...)
	linux, windows := m.both(t, args...)
	type result struct {
		Target, Build, Vulnerable, Error string
		Exchange                         bool
		CVEs                             []string
		Evidence                         []string
	}
	parse := func(what string, out output) map[string]result {
		var doc struct{ Results []result }
		if err := json.Unmarshal(out.stdout, &doc); err != nil || out.code != 1 {
			t.Fatalf("%s: exit %d, %v\n%s", what, out.code, err, out.stderr)
		}
		byTarget := map[string]result{}
		for _, r := range doc.Results {
			byTarget[r.Target] = r
		}
		return byTarget
	}
	onLinux, onWindows := parse("linux", linux), parse("windows", windows)
	for _, target := range targets {
		k, l, w := kinds[target], onLinux[target], onWindows[target]
		if l.Vulnerable != k.Want.Vulnerable || (l.Error != "") != k.Want.Failed {
			t.Errorf("%s on Linux: %+v", k.Name, l)
		}
		// Error and evidence wording comes from each system's sockets;
		// what they conclude must be the same.
		if w.Exchange != l.Exchange || w.Vulnerable != l.Vulnerable || w.Build != l.Build ||
			!slices.Equal(w.CVEs, l.CVEs) || (w.Error != "") != (l.Error != "") {
			t.Errorf("%s: exhunt.exe says %+v\nLinux says %+v", k.Name, w, l)
		}
		if k.Server.SSRF == "abort" && !slices.ContainsFunc(w.Evidence, func(e string) bool { return strings.Contains(e, "URL Rewrite mitigation") }) {
			t.Errorf("%s: exhunt.exe did not take the reset for the mitigation: %q", k.Name, w.Evidence)
		}
	}
}
