// Package webshell finds web shells by where they sit and what they are
// called: script files in the folders the 2021 Exchange campaigns wrote to
// (aspnet_client, the front end's OWA and ECP auth folders), files there that
// Exchange does not install, and files matching published names, paths and
// hashes. Content scanning comes on top of this in its own package.
package webshell

import (
	"path"
	"strings"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/indicators"
)

var cvesChain = []string{"CVE-2021-26855", "CVE-2021-26858", "CVE-2021-27065"}

const remediateShell = "Preserve the file (copy it with its timestamps, note its hash) before removing it; find how it got " +
	"there (HttpProxy, ECP and OAB findings) and who used it (IIS logs for requests to it). A web shell means the " +
	"server was compromised: rotate credentials used on it and look for lateral movement."

// Rules of the location checks.
var (
	RuleAspnetClientScript = finding.Rule{
		ID:          "webshell-aspnet-client-script",
		Title:       "Script file in inetpub\\wwwroot\\aspnet_client (web shell location)",
		CVEs:        cvesChain,
		Remediation: "Nothing legitimate puts script files in aspnet_client. " + remediateShell,
		Grading:     "high",
		References:  []string{detect.RefMicrosoftHafnium, detect.RefCISAAA21062A},
		Stage:       finding.StageWebshellWritten,
	}
	RuleAuthUnknownScript = finding.Rule{
		ID:          "webshell-auth-folder-script",
		Title:       "Script file in the OWA/ECP auth folder that Exchange does not install",
		CVEs:        cvesChain,
		Remediation: "Exchange installs a fixed set of files here; this one is not among them (look-alike names such as RedirSuiteServerProxy.aspx or errorFS.aspx were used). " + remediateShell,
		Grading:     "high",
		References:  []string{detect.RefMicrosoftHafnium},
		Stage:       finding.StageWebshellWritten,
	}
	RuleAuthUnknownFile = finding.Rule{
		ID:          "webshell-auth-folder-unknown-file",
		Title:       "File in the OWA/ECP auth folder that Exchange does not install",
		CVEs:        cvesChain,
		Remediation: "Attackers left non-script files here too (e.g. google.log). Check what it is and when it appeared.",
		Grading:     "medium",
		Stage:       finding.StageWebshellWritten,
	}
)

// ScriptExtensions are the extensions IIS runs as server-side code on an
// Exchange server.
var ScriptExtensions = map[string]bool{
	".aspx": true, ".asmx": true, ".ashx": true, ".asp": true, ".asax": true,
	".ascx": true, ".cshtml": true, ".vbhtml": true, ".soap": true, ".rem": true,
	".axd": true, ".svc": true, ".php": true, ".jsp": true, ".cer": true,
}

// IsScript reports whether a file name has a script extension.
func IsScript(name string) bool {
	return ScriptExtensions[strings.ToLower(path.Ext(name))]
}

// Locations checks the web shell hot spots named by Microsoft and CISA.
type Locations struct{}

func (Locations) Name() string { return "webshell-locations" }

func (Locations) Check() detect.Check {
	return detect.Check{ID: "webshell-locations", Title: "Web shells in aspnet_client and the front end's OWA/ECP auth folders",
		CVEs: cvesChain, Needs: "the web root (inetpub\\wwwroot) or Exchange's FrontEnd\\HttpProxy folder"}
}

func (Locations) Rules() []*finding.Rule {
	return []*finding.Rule{&RuleAspnetClientScript, &RuleAuthUnknownScript, &RuleAuthUnknownFile}
}

func (Locations) Places(ctx *detect.Context) []detect.Place {
	var out []detect.Place
	for _, d := range ctx.Server.HotSpots.List() {
		out = append(out, detect.Place{Dir: d})
	}
	return out
}

func (Locations) InspectFile(ctx *detect.Context, f *detect.File, emit detect.Emit) {
	h := ctx.Server.HotSpots
	name := path.Base(f.Path)
	script := IsScript(name)
	switch {
	case h.AspnetClient != "" && within(f.Path, h.AspnetClient):
		if script {
			emit(RuleAspnetClientScript.New(finding.High, f.Path, 0, f.Info.ModTime(), detect.FileEvidence(f)))
		}
	case h.OwaAuth != "" && within(f.Path, h.OwaAuth):
		rel := strings.TrimPrefix(f.Path, h.OwaAuth+"/")
		if strings.Contains(rel, "/") {
			// Below owa\auth only static resources live, in the build folder.
			if script {
				emit(RuleAuthUnknownScript.New(finding.High, f.Path, 0, f.Info.ModTime(), detect.FileEvidence(f)))
			}
			return
		}
		if !isExchangeFile(`frontend\httpproxy\owa\auth\` + rel) {
			unknownAuthFile(f, script, emit)
		}
	case h.EcpAuth != "" && within(f.Path, h.EcpAuth):
		rel := strings.TrimPrefix(f.Path, h.EcpAuth+"/")
		if strings.Contains(rel, "/") || !isExchangeFile(`frontend\httpproxy\ecp\auth\`+rel) {
			unknownAuthFile(f, script, emit)
		}
	}
}

func unknownAuthFile(f *detect.File, script bool, emit detect.Emit) {
	if script {
		emit(RuleAuthUnknownScript.New(finding.High, f.Path, 0, f.Info.ModTime(), detect.FileEvidence(f)))
		return
	}
	emit(RuleAuthUnknownFile.New(finding.Medium, f.Path, 0, f.Info.ModTime(), detect.FileEvidence(f)))
}

// isExchangeFile compares exact names: a look-alike of a real file is the
// point of the check, so no fuzzy matching.
func isExchangeFile(rel string) bool {
	return indicators.MustBuiltin().FrontEndFiles[strings.ToLower(rel)]
}

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	return dir == "." || p == dir || strings.HasPrefix(p, dir+"/")
}
