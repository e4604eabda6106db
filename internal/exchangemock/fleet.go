package exchangemock

import "time"

// Kind is one kind of server in the mock fleet, with what exhunt probe
// --active must say of it.
type Kind struct {
	Name   string
	Server Server
	Want   Want
}

// Want is the probe's expected answer for a kind.
type Want struct {
	Exchange   bool
	Vulnerable string // "yes", "no" or "unknown"
	Build      string
	Precision  string // "exact", "cu" or ""
	Source     string // build_source
	HasCVE     string // a CVE the answer must name
	NotCVE     string // a CVE it must not name
	// Failed: the target cannot be checked (an answer slower than the
	// probe's timeout, a dropped connection).
	Failed bool
	// SSRF: the CVE-2021-26855 request is routed to the back end, what
	// Microsoft's nmap script reports as VULNERABLE.
	SSRF bool
}

// SlowDelay is how long the slow kind takes to answer: tests give the
// probe a shorter timeout.
const SlowDelay = 1500 * time.Millisecond

// Fleet is every kind of server the probe must tell apart.
func Fleet() []Kind {
	return []Kind{
		{"patched", Server{OWAVersion: "15.2.1544.4", LogonPath: "15.2.1544", SSRF: "patched"},
			Want{Exchange: true, Vulnerable: "no", Build: "15.2.1544.4", Precision: "exact", Source: "X-OWA-Version header", NotCVE: "CVE-2021-26855"}},
		{"vulnerable", Server{OWAVersion: "15.1.2176.2", LogonPath: "15.1.2176", SSRF: "vulnerable"},
			Want{Exchange: true, Vulnerable: "yes", Build: "15.1.2176.2", Precision: "exact", Source: "X-OWA-Version header", HasCVE: "CVE-2021-26855", SSRF: true}},
		{"mitigated by URL Rewrite", Server{OWAVersion: "15.1.2176.2", LogonPath: "15.1.2176", SSRF: "abort"},
			Want{Exchange: true, Vulnerable: "yes", Build: "15.1.2176.2", Precision: "exact", Source: "X-OWA-Version header", HasCVE: "CVE-2021-26857", NotCVE: "CVE-2021-26855"}},
		{"CU level, vulnerable whatever its update", Server{LogonPath: "15.1.2176"},
			Want{Exchange: true, Vulnerable: "yes", Build: "15.1.2176", Precision: "cu", Source: "logon page resource path", HasCVE: "CVE-2022-41082", NotCVE: "CVE-2021-26855"}},
		{"CU level, its update decides", Server{LogonPath: "15.2.1118"},
			Want{Exchange: true, Vulnerable: "unknown", Build: "15.2.1118", Precision: "cu", Source: "logon page resource path", HasCVE: "CVE-2022-41082", NotCVE: "CVE-2021-26855"}},
		{"export tool", Server{LogonPath: "15.2.1118", ExportTool: "15.2.1118.7"},
			Want{Exchange: true, Vulnerable: "yes", Build: "15.2.1118.7", Precision: "exact", Source: "export tool manifest", HasCVE: "CVE-2022-41082"}},
		{"OWA service header", Server{LogonPath: "15.2.1118", ServiceVersion: "15.2.1118.7"},
			Want{Exchange: true, Vulnerable: "yes", Build: "15.2.1118.7", Precision: "exact", Source: "X-OWA-Version header", HasCVE: "CVE-2022-41082"}},
		{"build folder", Server{LogonPath: "15.2.1118", BuildFolders: []string{"15.2.1118.7"}},
			Want{Exchange: true, Vulnerable: "yes", Build: "15.2.1118.7", Precision: "exact", Source: "export tool folder", HasCVE: "CVE-2022-41082"}},
		{"build folders answered whatever the build", Server{LogonPath: "15.2.1118", AnyFolder: true},
			Want{Exchange: true, Vulnerable: "unknown", Build: "15.2.1118", Precision: "cu", Source: "logon page resource path", HasCVE: "CVE-2022-41082"}},
		{"redirect on its own host", Server{OWAVersion: "15.2.1544.4", LogonPath: "15.2.1544", Redirect: "same"},
			Want{Exchange: true, Vulnerable: "no", Build: "15.2.1544.4", Precision: "exact", Source: "X-OWA-Version header"}},
		{"redirect to another host", Server{Redirect: "other"},
			Want{Vulnerable: "unknown"}},
		{"not Exchange", Server{NotOWA: true},
			Want{Vulnerable: "no"}},
		{"broken", Server{Broken: true},
			Want{Vulnerable: "unknown", Failed: true}},
		{"slow", Server{Delay: SlowDelay, OWAVersion: "15.1.2176.2", LogonPath: "15.1.2176", SSRF: "vulnerable"},
			Want{Vulnerable: "unknown", Failed: true}},
	}
}
