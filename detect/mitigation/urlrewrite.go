// Package mitigation recognises the stop-gap protections Microsoft published
// for the 2021 Exchange vulnerabilities, so that a changed configuration file
// is reported as a mitigation in place instead of as a compromise.
package mitigation

import (
	"path"
	"strings"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/mitigations"
)

// RuleURLRewrite is the IIS URL Rewrite mitigation of CVE-2021-26855 that
// EOMT, ExchangeMitigations.ps1 and BackendCookieMitigation.ps1 install.
var RuleURLRewrite = finding.Rule{
	ID:    "mitigation-url-rewrite",
	Title: "CVE-2021-26855 URL Rewrite mitigation is present in web.config",
	CVEs:  []string{"CVE-2021-26855"},
	Remediation: "The rewrite rules block the known exploit cookies but not the vulnerability as a whole; " +
		"install the security update. The change to web.config is Microsoft's, not an attacker's.",
	Grading:    "info",
	References: []string{detect.RefMSRCMitigations, detect.RefEOMT},
}

// ruleNames are the rule names Microsoft's scripts write.
var ruleNames = mitigations.RewriteRules

// maxWebConfig bounds how much of web.config is read.
const maxWebConfig = 4 << 20

// URLRewrite reads the web root's web.config.
type URLRewrite struct{}

func (URLRewrite) Name() string { return "mitigation-url-rewrite" }

func (URLRewrite) Places(ctx *detect.Context) []detect.Place {
	if ctx.Server.WebRoot == "" {
		return nil
	}
	return []detect.Place{{Dir: ctx.Server.WebRoot, MaxDepth: 1}}
}

func (URLRewrite) InspectFile(_ *detect.Context, f *detect.File, emit detect.Emit) {
	if !strings.EqualFold(path.Base(f.Path), "web.config") {
		return
	}
	data, err := f.ReadSmall(maxWebConfig)
	if err != nil {
		return
	}
	text := strings.ToLower(string(data))
	var found []string
	for _, n := range ruleNames {
		if strings.Contains(text, strings.ToLower(`name="`+n+`"`)) {
			found = append(found, n)
		}
	}
	if len(found) == 0 {
		return
	}
	emit(RuleURLRewrite.New(finding.Info, f.Path, 0, f.Info.ModTime(),
		detect.FileEvidence(f, finding.Field{Name: "rules", Value: strings.Join(found, "; ")})))
}
