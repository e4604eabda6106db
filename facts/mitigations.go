package facts

import (
	"io"
	"path"
	"strings"

	"github.com/exhunt/exhunt/mitigations"
	"github.com/exhunt/exhunt/sysreg"
)

// Mitigations are the temporary mitigations found on the server: in place
// they block the known exploits, but they fix nothing.
type Mitigations struct {
	// RewriteRules are the published URL Rewrite rules found, and
	// RewriteWhere the files that hold them.
	RewriteRules []string
	RewriteWhere []string
	// ECPPoolOff and OABPoolOff are set when the pools do not start.
	ECPPoolOff, OABPoolOff bool
	// UMOff are the Unified Messaging services that are disabled.
	UMOff []string
	// HealthOff is set when Managed Availability is disabled, so it
	// cannot undo the mitigations.
	HealthOff bool
}

// Any reports whether some mitigation is in place.
func (m Mitigations) Any() bool {
	return len(m.RewriteRules) > 0 || m.ECPPoolOff || m.OABPoolOff || len(m.UMOff) > 0
}

// List describes the mitigations in place.
func (m Mitigations) List() []string {
	var out []string
	if len(m.RewriteRules) > 0 {
		out = append(out, "URL Rewrite rules "+strings.Join(m.RewriteRules, " and ")+" ("+strings.Join(m.RewriteWhere, ", ")+"): CVE-2021-26855")
	}
	if m.ECPPoolOff {
		out = append(out, mitigations.ECPAppPool+" does not start: CVE-2021-27065")
	}
	if m.OABPoolOff {
		out = append(out, mitigations.OABAppPool+" does not start: CVE-2021-26858")
	}
	if len(m.UMOff) > 0 {
		out = append(out, strings.Join(m.UMOff, " and ")+" disabled: CVE-2021-26857")
	}
	return out
}

// maxWebConfig bounds the web.config read for rewrite rules.
const maxWebConfig = 4 << 20

// readMitigations looks for the published mitigations in IIS's
// configuration, the web root's web.config and the SYSTEM hive's services.
func (s *Server) readMitigations() {
	m := &s.Mitigations
	seen := map[string]bool{}
	addRule := func(name, where string) {
		for _, r := range mitigations.RewriteRules {
			if strings.EqualFold(name, r) && !seen[r] {
				seen[r] = true
				m.RewriteRules = append(m.RewriteRules, r)
				if len(m.RewriteWhere) == 0 || m.RewriteWhere[len(m.RewriteWhere)-1] != where {
					m.RewriteWhere = append(m.RewriteWhere, where)
				}
			}
		}
	}
	if s.IIS != nil {
		for _, r := range s.IIS.RewriteRules {
			addRule(r, "applicationHost.config")
		}
		for name, off := range map[string]*bool{mitigations.ECPAppPool: &m.ECPPoolOff, mitigations.OABAppPool: &m.OABPoolOff} {
			if p, ok := s.IIS.AppPool(name); ok && strings.EqualFold(p.AutoStart, "false") {
				*off = true
			}
		}
	}
	if s.WebRoot != "" {
		if p, err := s.Resolver.Resolve(path.Join(s.WebRoot, "web.config")); err == nil {
			if f, err := s.Drives.Open(p); err == nil {
				data, _ := io.ReadAll(io.LimitReader(f, maxWebConfig))
				f.Close()
				text := strings.ToLower(string(data))
				for _, r := range mitigations.RewriteRules {
					if strings.Contains(text, strings.ToLower(`name="`+r+`"`)) {
						addRule(r, p)
					}
				}
			}
		}
	}
	for _, svc := range mitigations.UMServices {
		if v, err := s.Registry.Uint(sysreg.System, `CurrentControlSet\Services\`+svc, "Start"); err == nil && v == mitigations.ServiceDisabled {
			m.UMOff = append(m.UMOff, svc)
		}
	}
	if v, err := s.Registry.Uint(sysreg.System, `CurrentControlSet\Services\MSExchangeHM`, "Start"); err == nil && v == mitigations.ServiceDisabled {
		m.HealthOff = true
	}
}
