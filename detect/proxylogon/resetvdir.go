package proxylogon

import (
	"strings"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
)

var cves27065 = []string{"CVE-2021-27065", "CVE-2021-26855"}

// RuleResetVDir is the forged request that makes Exchange export a virtual
// directory's settings, script included, to a file of the attacker's
// choosing: the CVE-2021-27065 write.
var RuleResetVDir = finding.Rule{
	ID:    "proxylogon-reset-vdir",
	Title: "Forged request reset a virtual directory to write a file (CVE-2021-27065)",
	CVEs:  cves27065,
	Remediation: "This request writes a web shell to disk. Find the file: look for .aspx files in " +
		"inetpub\\wwwroot\\aspnet_client and FrontEnd\\HttpProxy\\owa\\auth, and in the ECP Server log for the " +
		"Set-OabVirtualDirectory call just before; preserve it, then remove it and rebuild the OAB virtual directory.",
	Grading:    "critical; medium if the request was refused",
	References: []string{detect.RefTestProxyLogon, detect.RefMicrosoftHafnium},
	Stage:      finding.StageWebshellWritten,
}

// ResetVDir checks HttpProxy rows whose forged target calls the ECP DDI
// service with schema=Reset*VirtualDirectory (Microsoft: AnchorMailbox like
// 'ServerInfo~*/*Reset*VirtualDirectory#' with status 200).
type ResetVDir struct{}

func (ResetVDir) Name() string              { return "proxylogon-reset-vdir" }
func (ResetVDir) Family() detect.LogFamily  { return detect.HttpProxy }
func (ResetVDir) Literals() []string        { return httpProxyLiterals }
func (ResetVDir) Precheck(line []byte) bool { return mayHoldTarget(line) }

func (ResetVDir) Inspect(_ *detect.Context, rec *detect.LogRecord, emit detect.Emit) {
	target, ok := targetOf(rec)
	if !ok || !resetsVirtualDirectory(target.Path) {
		return
	}
	ev := httpProxyEvidence(rec, target)
	at, _ := rec.Time()
	switch classifyStatus(rec.Get(finding.KeyHTTPStatus)) {
	case statusFailed:
		ev = append(ev, finding.Field{Name: finding.KeyOutcome, Value: "the request failed; the file was most likely not written"})
		emit(RuleResetVDir.New(finding.Medium, rec.Path, rec.Line, at, ev))
	case statusUnknown:
		ev = append(ev, finding.Field{Name: finding.KeyOutcome, Value: "the log has no HTTP status; assume a file was written and look for it"})
		emit(RuleResetVDir.New(finding.Critical, rec.Path, rec.Line, at, ev))
	default:
		ev = append(ev, finding.Field{Name: finding.KeyOutcome, Value: "the back end accepted the reset: a file was written"})
		emit(RuleResetVDir.New(finding.Critical, rec.Path, rec.Line, at, ev))
	}
}

// resetsVirtualDirectory matches "Reset" followed later by
// "VirtualDirectory", ignoring case, as Microsoft's wildcard does; the
// trailing '#' of that wildcard is not required.
func resetsVirtualDirectory(path string) bool {
	p := strings.ToLower(path)
	i := strings.Index(p, "reset")
	return i >= 0 && strings.Contains(p[i:], "virtualdirectory")
}
