// Package patch judges whether the server is still vulnerable: its
// Exchange build against the build table (package builds), and signs of a
// security update that was only partly applied. Its findings are about
// exposure, not evidence of an attack: the verdict answers them apart.
package patch

import (
	"strings"
	"time"

	"github.com/exhunt/exhunt/builds"
	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
)

var proxyLogonCVEs = []string{"CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065"}

// Rules of the patch state.
var (
	RuleVulnerableBuild = finding.Rule{
		ID:    "patch-vulnerable-build",
		Title: "The server's Exchange build misses critical security fixes: it is vulnerable now",
		CVEs:  proxyLogonCVEs,
		Remediation: "Install the update the evidence names (the newest security update of a supported cumulative " +
			"update). Until then, keep the server off the internet or apply Microsoft's temporary mitigations.",
		Grading:    "high, naming the CVEs the build misses",
		References: []string{"https://learn.microsoft.com/en-us/exchange/new-features/build-numbers-and-release-dates"},
	}
	RuleHalfPatched = finding.Rule{
		ID:    "patch-half-applied",
		Title: "An Exchange update was only partly applied: product files disagree on the build",
		CVEs:  proxyLogonCVEs,
		Remediation: "Run the security update again from an elevated prompt (updates run without elevation left " +
			"servers half-patched in 2021), then check that ExSetup.exe and the registry agree.",
		Grading:    "high",
		References: []string{detect.RefMSRCMitigations},
	}
	RulePatched = finding.Rule{
		ID:          "patch-installed",
		Title:       "The server's Exchange build has the ProxyLogon fixes",
		CVEs:        proxyLogonCVEs,
		Remediation: "The install time bounds the exposure: attacks after it could not use these vulnerabilities.",
		Grading:     "info, with the update's install date (the patch time)",
	}
)

// State judges the build of the server.
type State struct{}

func (State) Name() string { return "patch-state" }

func (State) Check() detect.Check {
	return detect.Check{ID: "build-patch-state", Title: "Exchange build and security update level (is the server still vulnerable?)",
		CVEs: proxyLogonCVEs, Needs: "the Exchange build (ExSetup.exe or the SOFTWARE registry hive)"}
}

func (State) Rules() []*finding.Rule {
	return []*finding.Rule{&RuleVulnerableBuild, &RuleHalfPatched, &RulePatched}
}

// Ran reports whether the server's build is known, so the check had
// something to judge.
func (State) Ran(ctx *detect.Context) bool { return ctx.Server.Build.Known }

func (State) InspectServer(ctx *detect.Context, emit detect.Emit) {
	b := ctx.Server.Build
	if !b.Known {
		return
	}
	table, err := builds.Builtin()
	if err != nil {
		return
	}
	a := table.Lookup(b.Version)
	if a.Product == "" || !a.ProxyLogonAffected {
		return // the exposure answer says what is known of such a build
	}
	ev := finding.Evidence{
		{Name: "build", Value: b.Version.String()},
		{Name: "precision", Value: precisionText(b.Precision)},
		{Name: "source", Value: b.Source},
		{Name: "release", Value: a.What},
	}
	path := ctx.Server.ExchangeDir
	if a.ProxyLogonPatched {
		at := time.Time{}
		fields := ev[:len(ev):len(ev)]
		// The patch time is the install date of the earliest update of
		// this CU that has the ProxyLogon fix; an update from before the
		// fix, or of another CU, says nothing of it.
		for _, u := range b.Updates {
			if u.Installed.IsZero() || !fixesProxyLogon(table, u.KB, b.Version) {
				continue
			}
			if at.IsZero() || u.Installed.Before(at) {
				at = u.Installed
				fields = append(fields[:len(ev):len(ev)], finding.Field{Name: "update", Value: u.Name}, finding.Field{Name: "installed", Value: u.Installed.Format("2006-01-02")})
			}
		}
		emit(RulePatched.New(finding.Info, path, 0, at, fields))
	}
	if len(b.Disagreements) > 0 {
		// One finding: every sign is part of the same story.
		f := RuleHalfPatched.New(finding.High, path, 0, time.Time{}, append(ev[:len(ev):len(ev)], finding.Field{Name: finding.KeyWhy, Value: strings.Join(b.Disagreements, "; ")}))
		f.Exposure = true
		emit(f)
	}
	if len(a.Missing) > 0 {
		var cves, names []string
		for _, m := range a.Missing {
			cves = append(cves, m.CVE)
			names = append(names, m.CVE+" "+m.Name)
		}
		rule := RuleVulnerableBuild
		rule.CVEs = cves
		fields := append(ev[:len(ev):len(ev)], finding.Field{Name: "missing", Value: strings.Join(names, "; ")})
		if a.Next != nil {
			fields = append(fields, finding.Field{Name: "install", Value: a.Next.Name() + " " + a.Next.KB + " (build " + a.Next.Version.String() + ")"})
		}
		if b.Precision == "cu" {
			fields = append(fields, finding.Field{Name: "note", Value: "only the cumulative update level is known (ExSetup.exe was not read): a security update installed on top would not show"})
		}
		f := rule.New(finding.High, path, 0, time.Time{}, fields)
		f.Exposure = true
		emit(f)
	}
}

// march2021 is the day the ProxyLogon fix came out.
var march2021 = time.Date(2021, 3, 2, 0, 0, 0, 0, time.UTC)

// fixesProxyLogon reports whether the update with this KB, for the CU of
// build v, carries the ProxyLogon fix and is not newer than v.
func fixesProxyLogon(table *builds.Table, kb string, v builds.Version) bool {
	if kb == "" {
		return false
	}
	for _, r := range table.Releases {
		if r.KB == kb && r.SU != "" && r.Version.SameCU(v) && r.Version.Compare(v) <= 0 && !r.Date.Before(march2021) {
			return true
		}
	}
	return false
}

func precisionText(p string) string {
	switch p {
	case "exact":
		return "exact (ExSetup.exe's file version)"
	case "update":
		return "the newest installed update the registry lists (ExSetup.exe not read)"
	}
	return "cumulative update level (registry; security updates do not change it)"
}
