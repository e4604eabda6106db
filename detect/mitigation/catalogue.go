package mitigation

import (
	"github.com/exhunt/exhunt/detect"
	"github.com/exhunt/exhunt/finding"
)

func (URLRewrite) Check() detect.Check {
	return detect.Check{ID: "mitigation-url-rewrite", Title: "Microsoft's URL Rewrite mitigation for CVE-2021-26855 in the web root's web.config",
		CVEs: []string{"CVE-2021-26855"}, Needs: "the web root (inetpub\\wwwroot)"}
}

func (URLRewrite) Rules() []*finding.Rule { return []*finding.Rule{&RuleURLRewrite} }
