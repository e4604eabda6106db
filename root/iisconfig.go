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

// IISConfig is the part of applicationHost.config that tells where web
// content and web logs live.
type IISConfig struct {
	Sites []IISSite
	// DefaultLogDirectory is siteDefaults/logFile@directory.
	DefaultLogDirectory string
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
	type doc struct {
		Sites struct {
			Sites        []site `xml:"site"`
			SiteDefaults struct {
				LogFile logFile `xml:"logFile"`
			} `xml:"siteDefaults"`
		} `xml:"system.applicationHost>sites"`
	}
	var d doc
	dec := xml.NewDecoder(io.LimitReader(r, maxIISConfigBytes))
	dec.Strict = false
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("applicationHost.config: %w", err)
	}
	cfg := &IISConfig{DefaultLogDirectory: d.Sites.SiteDefaults.LogFile.Directory}
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
