package probe

import (
	"slices"
	"testing"

	"github.com/exhunt/exhunt/builds"
)

func TestAssess(t *testing.T) {
	table := builds.MustBuiltin()
	for _, tc := range []struct {
		build      string
		vulnerable string
		exact      bool
		has, not   string // a CVE that must be listed, and one that must not
	}{
		// Exact builds: the table's answer.
		{"15.2.1544.4", VulnerableNo, true, "", "CVE-2022-41082"},
		{"15.2.1118.7", VulnerableYes, true, "CVE-2022-41082", "CVE-2021-26855"},
		{"15.1.2176.9", VulnerableYes, true, "CVE-2021-34473", "CVE-2021-26855"},
		// CU level: no update of CU19 fixes the 2022 chain, so "yes" for
		// it; ProxyLogon was fixed by one of its updates, so it is not
		// claimed.
		{"15.1.2176", VulnerableYes, false, "CVE-2022-41082", "CVE-2021-26855"},
		// CU12 of 2019 got the 2022 fixes as updates: only the update
		// installed decides.
		{"15.2.1118", VulnerableUnknown, false, "CVE-2022-41082", "CVE-2021-26855"},
		{"15.2.1544", VulnerableNo, false, "", "CVE-2022-41082"},
		{"16.1.1", VulnerableUnknown, false, "", ""},
	} {
		v, err := builds.Parse(tc.build)
		if err != nil {
			t.Fatal(err)
		}
		e := Assess(table, v)
		if e.Vulnerable != tc.vulnerable || e.Exact != tc.exact ||
			tc.has != "" && !slices.Contains(e.CVEs, tc.has) || tc.not != "" && slices.Contains(e.CVEs, tc.not) {
			t.Errorf("%s: %s (exact %v) %v; want %s (exact %v) with %q, without %q", tc.build, e.Vulnerable, e.Exact, e.CVEs, tc.vulnerable, tc.exact, tc.has, tc.not)
		}
	}
}
