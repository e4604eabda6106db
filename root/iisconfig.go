package root

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// IISSite is one site of applicationHost.config with the physical path of
// its root application and its log folder, as IIS wrote them (environment
// variables unexpanded).
type IISSite struct {
	Name         string
	ID           string
	PhysicalPath string
	LogDirectory string
}

// IISAppPool is an application pool with the settings the 2021
// mitigations change.
type IISAppPool struct {
	Name      string
	AutoStart string // "" when not set (IIS's default: true)
	StartMode string
}

// IISConfig is the part of applicationHost.config that tells where web
// content and web logs live, which application pools start, and which
// URL Rewrite rules the server holds.
type IISConfig struct {
	Sites []IISSite
	// DefaultLogDirectory is siteDefaults/logFile@directory.
	DefaultLogDirectory string
	// CentralLogMode is log@centralLogFileMode: "" or "Site" for a log
	// folder per site (IIS's default), "CentralW3C" for one W3C log of
	// every site in CentralW3CLogDirectory\W3SVC, "CentralBinary" for a
	// binary log.
	CentralLogMode         string
	CentralW3CLogDirectory string
	AppPools               []IISAppPool
	// RewriteRules are the names of URL Rewrite rules anywhere in the
	// file (global rules, or a site's rules in a location element).
	RewriteRules []string
}

// AppPool finds an application pool by name, ignoring case.
func (c *IISConfig) AppPool(name string) (IISAppPool, bool) {
	for _, p := range c.AppPools {
		if strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return IISAppPool{}, false
}

// maxIISConfigBytes bounds how much of applicationHost.config is read: real
// files are about 200 KB, so anything far larger is not a real one.
const maxIISConfigBytes = 32 << 20

// ParseIISConfig reads the sites of an applicationHost.config.
func ParseIISConfig(r io.Reader) (*IISConfig, error) {
	type vdir struct {
		Path         string `xml:"path,attr"`
		PhysicalPath string `xml:"physicalPath,attr"`
	}
	type app struct {
		Path  string `xml:"path,attr"`
		VDirs []vdir `xml:"virtualDirectory"`
	}
	type logFile struct {
		Directory string `xml:"directory,attr"`
	}
	type site struct {
		Name    string  `xml:"name,attr"`
		ID      string  `xml:"id,attr"`
		Apps    []app   `xml:"application"`
		LogFile logFile `xml:"logFile"`
	}
	type pool struct {
		Name      string `xml:"name,attr"`
		AutoStart string `xml:"autoStart,attr"`
		StartMode string `xml:"startMode,attr"`
	}
	type rule struct {
		Name string `xml:"name,attr"`
	}
	type rewrite struct {
		Rules       []rule `xml:"rules>rule"`
		GlobalRules []rule `xml:"globalRules>rule"`
	}
	type location struct {
		Rewrite rewrite `xml:"system.webServer>rewrite"`
	}
	type doc struct {
		Sites struct {
			Sites        []site `xml:"site"`
			SiteDefaults struct {
				LogFile logFile `xml:"logFile"`
			} `xml:"siteDefaults"`
		} `xml:"system.applicationHost>sites"`
		Log struct {
			Mode       string  `xml:"centralLogFileMode,attr"`
			CentralW3C logFile `xml:"centralW3CLogFile"`
		} `xml:"system.applicationHost>log"`
		Pools     []pool     `xml:"system.applicationHost>applicationPools>add"`
		Rewrite   rewrite    `xml:"system.webServer>rewrite"`
		Locations []location `xml:"location"`
	}
	var d doc
	dec := xml.NewDecoder(io.LimitReader(r, maxIISConfigBytes))
	dec.Strict = false
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("applicationHost.config: %w", err)
	}
	cfg := &IISConfig{
		DefaultLogDirectory:    d.Sites.SiteDefaults.LogFile.Directory,
		CentralLogMode:         d.Log.Mode,
		CentralW3CLogDirectory: d.Log.CentralW3C.Directory,
	}
	for _, p := range d.Pools {
		cfg.AppPools = append(cfg.AppPools, IISAppPool{Name: p.Name, AutoStart: p.AutoStart, StartMode: p.StartMode})
	}
	rws := []rewrite{d.Rewrite}
	for _, l := range d.Locations {
		rws = append(rws, l.Rewrite)
	}
	for _, rw := range rws {
		for _, r := range append(rw.Rules, rw.GlobalRules...) {
			cfg.RewriteRules = append(cfg.RewriteRules, r.Name)
		}
	}
	for _, s := range d.Sites.Sites {
		site := IISSite{Name: s.Name, ID: s.ID, LogDirectory: s.LogFile.Directory}
		for _, a := range s.Apps {
			if a.Path != "/" {
				continue
			}
			for _, v := range a.VDirs {
				if v.Path == "/" {
					site.PhysicalPath = v.PhysicalPath
				}
			}
		}
		cfg.Sites = append(cfg.Sites, site)
	}
	return cfg, nil
}

// LogDirectories are the folders the configuration has IIS write request
// logs under, as written: the sites' own, the default for sites without
// one, and the central W3C log's when that is in use. IIS adds a W3SVC<id>
// folder per site below them (W3SVC for the central log).
func (c *IISConfig) LogDirectories() []string {
	var out []string
	seen := map[string]bool{}
	add := func(d string) {
		if d != "" && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	add(c.DefaultLogDirectory)
	for _, s := range c.Sites {
		add(s.LogDirectory)
	}
	if strings.EqualFold(c.CentralLogMode, "CentralW3C") {
		add(c.CentralW3CLogDirectory)
	}
	return out
}

// DefaultWebSite returns the site IIS serves Exchange's front end from:
// "Default Web Site", else the site with id 1.
func (c *IISConfig) DefaultWebSite() (IISSite, bool) {
	for _, s := range c.Sites {
		if strings.EqualFold(s.Name, "Default Web Site") {
			return s, true
		}
	}
	for _, s := range c.Sites {
		if s.ID == "1" {
			return s, true
		}
	}
	return IISSite{}, false
}

// ExpandSystemDrive turns "%SystemDrive%\inetpub\wwwroot" into
// "C:\inetpub\wwwroot"-style paths so they can be resolved inside the root;
// the drive letter itself is dropped later by SplitPath.
func ExpandSystemDrive(p string) string {
	const v = "%systemdrive%"
	if len(p) >= len(v) && strings.EqualFold(p[:len(v)], v) {
		return "C:" + p[len(v):]
	}
	return p
}
