package scan

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/result"
	"github.com/exhunt/exhunt/testserver"
)

// TestPatchStateOfGeneratedServers classifies generated servers: current,
// vulnerable, patched in March 2021 only, half-patched, and one whose
// ExSetup.exe is missing (the registry's word alone).
func TestPatchStateOfGeneratedServers(t *testing.T) {
	clean := testserver.DemoOptions()
	clean.Attacks = false
	type want struct {
		state, build, precision string
		rules                   []string
		patchedAt               string
	}
	cases := []struct {
		name  string
		opt   func() testserver.Options
		noExe bool
		want  want
	}{
		{"current", func() testserver.Options { return clean }, false,
			want{result.ExposurePatched, "15.1.2507.72", "exact", []string{"patch-installed"}, "2026-08-20"}},
		{"vulnerable: CU19 without updates", func() testserver.Options {
			o := clean
			o.Build, o.Updates = "15.1.2176.2", nil
			return o
		}, false, want{result.ExposureVulnerable, "15.1.2176.2", "exact", []string{"patch-vulnerable-build"}, ""}},
		{"patched in March 2021 only", func() testserver.Options {
			o := clean
			o.Build, o.Updates = "15.1.2176.2", []testserver.Update{testserver.March2021Update}
			return o
		}, false, want{result.ExposureVulnerable, "15.1.2176.9", "exact", []string{"patch-installed", "patch-vulnerable-build"}, "2021-03-06"}},
		{"half-patched: the update recorded, ExSetup.exe not replaced", func() testserver.Options {
			o := clean
			o.Build, o.Updates, o.HalfPatched = "15.1.2176.2", []testserver.Update{testserver.March2021Update}, true
			return o
		}, false, want{result.ExposureVulnerable, "15.1.2176.2", "exact", []string{"patch-half-applied", "patch-vulnerable-build"}, ""}},
		{"registry only: the installed update raises the CU level", func() testserver.Options {
			o := clean
			o.Build, o.Updates = "15.1.2176.2", []testserver.Update{testserver.March2021Update}
			return o
		}, true, want{result.ExposureVulnerable, "15.1.2176.9", "update", []string{"patch-installed", "patch-vulnerable-build"}, "2021-03-06"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			generate(t, dir, tc.opt())
			if tc.noExe {
				os.Remove(filepath.Join(dir, filepath.FromSlash(testserver.DefaultInstallDir), "Bin", "ExSetup.exe"))
			}
			res := runScan(t, dir, Config{})
			e := res.Verdict.Exposure
			var rules []string
			for _, f := range res.Findings {
				if strings.HasPrefix(f.Rule, "patch-") {
					rules = append(rules, f.Rule)
				}
			}
			sort.Strings(rules)
			patchedAt := ""
			if e.PatchedAt != nil {
				patchedAt = e.PatchedAt.Format("2006-01-02")
			}
			if e.State != tc.want.state || e.Build != tc.want.build || e.Precision != tc.want.precision ||
				strings.Join(rules, ",") != strings.Join(tc.want.rules, ",") || patchedAt != tc.want.patchedAt {
				t.Errorf("state %s build %s (%s) rules %v patched %q; want %+v\n%s", e.State, e.Build, e.Precision, rules, patchedAt, tc.want, e.Answer)
			}
			// Being vulnerable is not being compromised.
			if res.Verdict.Level != result.VerdictClean {
				t.Errorf("verdict %s: a clean server's build must not raise the verdict", res.Verdict.Level)
			}
			if wantExit := map[string]int{result.ExposurePatched: 0, result.ExposureVulnerable: 1}[e.State]; res.ExitStatus() != wantExit {
				t.Errorf("exit %d, want %d", res.ExitStatus(), wantExit)
			}
		})
	}
}

// TestMitigationState: a generated server with Microsoft's temporary
// mitigations is "vulnerable, mitigated, temporary", never "fixed"; one
// without them has none.
func TestMitigationState(t *testing.T) {
	for _, mitigated := range []bool{true, false} {
		opt := testserver.DemoOptions()
		opt.Attacks, opt.Build, opt.Updates, opt.Mitigated = false, "15.1.2176.2", nil, mitigated
		dir := t.TempDir()
		generate(t, dir, opt)
		res := runScan(t, dir, Config{})
		e := res.Verdict.Exposure
		in := 0
		for _, f := range res.Findings {
			if f.Rule == "mitigation-in-place" {
				in++
			}
		}
		if mitigated {
			all := strings.Join(e.Mitigations, "\n")
			for _, want := range []string{"X-BEResource Abort - inbound", "MSExchangeECPAppPool", "MSExchangeOABAppPool", "MSExchangeUM and MSExchangeUMCR"} {
				if !strings.Contains(all, want) {
					t.Errorf("mitigations %q lack %q", all, want)
				}
			}
			if e.State != result.ExposureVulnerable || !strings.Contains(e.Answer, "mitigated, temporary") || in != 1 {
				t.Errorf("mitigated: state %s, answer %q, %d findings", e.State, e.Answer, in)
			}
		} else if len(e.Mitigations) != 0 || in != 0 {
			t.Errorf("unmitigated: %v, %d findings", e.Mitigations, in)
		}
	}
}

// TestHalfPatchedSigns: each sign of a half-applied update is named.
func TestHalfPatchedSigns(t *testing.T) {
	opt := testserver.DemoOptions()
	opt.Attacks, opt.Build, opt.Updates, opt.HalfPatched = false, "15.1.2176.2", []testserver.Update{testserver.March2021Update}, true
	dir := t.TempDir()
	generate(t, dir, opt)
	res := runScan(t, dir, Config{})
	why := ""
	for _, f := range res.Findings {
		if f.Rule == "patch-half-applied" {
			why = f.Evidence.Get("why")
		}
	}
	for _, want := range []string{"the registry lists an update for build 15.1.2176.9", "Microsoft.Exchange.HttpProxy.Common.dll is 15.1.2176.9"} {
		if !strings.Contains(why, want) {
			t.Errorf("half-applied evidence %q lacks %q", why, want)
		}
	}
	if strings.Contains(why, "Newtonsoft") {
		t.Error("a third-party assembly of another version was taken for Exchange's")
	}
}

// TestBuildSourcesThatMislead: registry entries and files that once gave a
// wrong answer about the build.
func TestBuildSourcesThatMislead(t *testing.T) {
	cu18Update := testserver.Update{Name: "Security Update for Exchange Server 2016 Cumulative Update 18 (KB5000871)", Installed: time.Date(2021, 3, 4, 0, 0, 0, 0, time.UTC)}
	cu8Update := testserver.Update{Name: "Security Update for Exchange Server 2016 Cumulative Update 8 (KB5000871)", Installed: time.Date(2021, 3, 5, 0, 0, 0, 0, time.UTC)}
	oldUpdate := testserver.Update{Name: "Security Update for Exchange Server 2016 Cumulative Update 19 (KB4602269)", Installed: time.Date(2021, 2, 10, 0, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		name      string
		build     string
		updates   []testserver.Update
		exSetup   string
		noExe     bool
		state     string
		wantBuild string
		noRules   []string
		patchedAt string
	}{
		{"a leftover update of another CU does not raise the build", "15.1.2176.2", []testserver.Update{cu18Update}, "", true,
			result.ExposureVulnerable, "15.1.2176.2", []string{"patch-installed"}, ""},
		{"both March 2021 numbers of 2016 CU8 are the same update", "15.1.1415.2", []testserver.Update{cu8Update}, "15.1.1415.8", false,
			result.ExposureVulnerable, "15.1.1415.8", []string{"patch-half-applied"}, "2021-03-05"},
		{"an ExSetup.exe of another product is not the server's", "15.1.2176.2", nil, "15.2.1748.10", false,
			result.ExposureVulnerable, "15.1.2176.2", []string{"patch-half-applied", "patch-installed"}, ""},
		{"an unknown build is unknown, never patched", "15.1.2176.2", nil, "15.3.100.1", false,
			result.ExposureVulnerable, "15.1.2176.2", nil, ""},
		{"an update from before the fix gives no patch date", "15.1.2242.4", []testserver.Update{oldUpdate}, "15.1.2242.4", false,
			result.ExposureVulnerable, "15.1.2242.4", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := testserver.DemoOptions()
			opt.Attacks, opt.Build, opt.Updates, opt.ExSetupBuild = false, tc.build, tc.updates, tc.exSetup
			dir := t.TempDir()
			generate(t, dir, opt)
			if tc.noExe {
				os.Remove(filepath.Join(dir, filepath.FromSlash(testserver.DefaultInstallDir), "Bin", "ExSetup.exe"))
			}
			res := runScan(t, dir, Config{})
			e := res.Verdict.Exposure
			patchedAt := ""
			if e.PatchedAt != nil {
				patchedAt = e.PatchedAt.Format("2006-01-02")
			}
			if e.State != tc.state || e.Build != tc.wantBuild || patchedAt != tc.patchedAt {
				t.Errorf("state %s build %s patched %q: %s", e.State, e.Build, patchedAt, e.Answer)
			}
			for _, f := range res.Findings {
				for _, r := range tc.noRules {
					if f.Rule == r {
						t.Errorf("unexpected %s: %v", r, f.Evidence)
					}
				}
			}
		})
	}
	// No hive and an ExSetup.exe that is no Exchange build: unknown.
	dir := t.TempDir()
	opt := testserver.DemoOptions()
	opt.Attacks, opt.Hive, opt.ExSetupBuild = false, false, "15.3.100.1"
	generate(t, dir, opt)
	res := runScan(t, dir, Config{})
	if e := res.Verdict.Exposure; e.State != result.ExposureUnknown {
		t.Errorf("an unknown build without a hive: %s (%s)", e.State, e.Answer)
	}
}

// An Exchange 2010 server is said to be one: the March 2021 chain does not
// reach it but CVE-2021-26857 does, its build decides that, and the log
// checks for Exchange 2013 and later are not claimed. With a later Exchange
// beside it, that one is scanned as always.
func TestExchange2010(t *testing.T) {
	for _, tc := range []struct {
		name, build string
		v15         bool
		vulnerable  bool
	}{
		{name: "before RU32", build: "14.3.496.0", vulnerable: true},
		{name: "RU32", build: "14.3.513.0"},
		{name: "with V15 beside it", build: "14.3.496.0", v15: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := testserver.Exchange2010(dir, tc.build); err != nil {
				t.Fatal(err)
			}
			if tc.v15 {
				p := filepath.Join(dir, "Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Owa/HttpProxy_2021030301-1.LOG")
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte("#Software: Microsoft Exchange Server\r\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			srv := runScan(t, dir, Config{})
			v, info := srv.Verdict, srv.Server
			if tc.v15 {
				if info.Exchange2010Dir != "" || strings.Contains(v.Headline, "Exchange 2010") {
					t.Errorf("Exchange 2010 reported beside V15: %q, %q", info.Exchange2010Dir, v.Headline)
				}
				return
			}
			if info.Exchange2010Dir != "Program Files/Microsoft/Exchange Server/V14" || !strings.Contains(v.Headline, "Exchange 2010") ||
				!strings.Contains(v.Headline, "CVE-2021-26857") || v.NothingExamined || v.Level != result.VerdictInconclusive {
				t.Errorf("folder %q, verdict %s %q (nothing examined %v)", info.Exchange2010Dir, v.Level, v.Headline, v.NothingExamined)
			}
			e := v.Exposure
			if e.Build != tc.build || (e.State == result.ExposureVulnerable) != tc.vulnerable || tc.vulnerable && !slices.Contains(e.Missing, "CVE-2021-26857") ||
				!tc.vulnerable && !strings.Contains(e.Answer, "only one of March 2021 that reaches Exchange 2010") {
				t.Errorf("exposure %+v, want vulnerable %v", e, tc.vulnerable)
			}
		})
	}
}
