package mitigation

import (
	"strings"
	"time"

	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
)

// RuleInPlace reports the temporary mitigations found on the server.
var RuleInPlace = finding.Rule{
	ID:    "mitigation-in-place",
	Title: "Temporary mitigations are in place (mitigated, not fixed)",
	CVEs:  []string{"CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065"},
	Remediation: "The mitigations block the published exploits, not the vulnerabilities: install the security update, " +
		"then remove them (exhunt mitigate --script --rollback). A stopped ECP pool also stops the Exchange admin center.",
	Grading:    "info",
	References: []string{detect.RefMSRCMitigations, detect.RefEOMT},
}

// State reports the mitigations of the server's facts: URL Rewrite rules
// in web.config or applicationHost.config, the ECP and OAB application
// pools, the Unified Messaging services.
type State struct{}

func (State) Name() string { return "mitigation-state" }

func (State) Check() detect.Check {
	return detect.Check{ID: "mitigation-state", Title: "Temporary mitigations in place (URL Rewrite rules, ECP and OAB application pools, Unified Messaging services)",
		CVEs: RuleInPlace.CVEs, Needs: "the IIS configuration or the SYSTEM registry hive"}
}

func (State) Rules() []*finding.Rule { return []*finding.Rule{&RuleInPlace} }

// Ran reports whether there was configuration to judge.
func (State) Ran(ctx *detect.Context) bool {
	return ctx.Server.IIS != nil || ctx.Server.WebRoot != ""
}

func (State) InspectServer(ctx *detect.Context, emit detect.Emit) {
	m := ctx.Server.Mitigations
	if !m.Any() {
		return
	}
	ev := finding.Evidence{{Name: "mitigations", Value: strings.Join(m.List(), "; ")}}
	if m.HealthOff {
		ev = append(ev, finding.Field{Name: "managed_availability", Value: "MSExchangeHM disabled, so it cannot undo the mitigations"})
	}
	emit(RuleInPlace.New(finding.Info, ctx.Server.ExchangeDir, 0, time.Time{}, ev))
}
