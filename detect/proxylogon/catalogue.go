package proxylogon

import (
	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
)

func (SSRF) Check() detect.Check {
	return detect.Check{ID: "cve-2021-26855-httpproxy", Title: "CVE-2021-26855 forged back-end requests in the HttpProxy logs",
		CVEs: cves26855, Needs: "the HttpProxy logs"}
}

func (SSRF) Rules() []*finding.Rule {
	return []*finding.Rule{&RuleSSRFBackend, &RuleSSRFAutodiscover, &RuleSSRFLocalhostProbe, &RuleSSRFProbe}
}

func (ResetVDir) Check() detect.Check {
	return detect.Check{ID: "cve-2021-27065-reset-vdir", Title: "CVE-2021-27065 virtual directory resets through forged requests (HttpProxy ECP logs)",
		CVEs: []string{"CVE-2021-26855", "CVE-2021-27065"}, Needs: "the HttpProxy Ecp logs"}
}

func (ResetVDir) Rules() []*finding.Rule { return []*finding.Rule{&RuleResetVDir} }

func (ECPVirtualDirectory) Check() detect.Check {
	return detect.Check{ID: "cve-2021-27065-ecp", Title: "CVE-2021-27065 script written into a virtual directory setting (ECP Server logs)",
		CVEs: cves27065, Needs: "the ECP Server logs"}
}

func (ECPVirtualDirectory) Rules() []*finding.Rule {
	return []*finding.Rule{&RuleVDirScript, &RuleVDirInvalidURL}
}

func (OABDownload) Check() detect.Check {
	return detect.Check{ID: "cve-2021-26858-oab", Title: "CVE-2021-26858 files written outside the OAB folder (OABGenerator logs)",
		CVEs: []string{"CVE-2021-26858"}, Needs: "the OABGeneratorLog logs"}
}

func (OABDownload) Rules() []*finding.Rule { return []*finding.Rule{&RuleOABDownloadOutside} }
