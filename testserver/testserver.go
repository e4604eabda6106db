// Package testserver builds a synthetic Exchange server on disk: a system
// drive with Exchange's HttpProxy, ECP and OAB generator logs, the IIS W3C
// logs of the front-end and back-end sites, the front-end and IIS web
// folders, ProgramData and Windows\Temp, and offline SOFTWARE and SYSTEM
// registry hives. Benign traffic is modelled on real Exchange 2016 log
// rows; attacks are modelled on a real 2021 incident with several actors
// (one who got in, a prober, a failed writer, an indicator address), with
// benign look-alikes next to them. The manifest lists every finding a
// correct scan must report, and the incident's actors and milestones.
//
// The tests, `exhunt demo` and the benchmark all use it, so the demo shows
// exactly what the tests check and the benchmark measures realistic data.
package testserver

import (
	"encoding/base64"
	"fmt"
	"math/rand"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/exhunt/exhunt/builds"
	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/winreg"
)

// Options shape the generated server.
type Options struct {
	// Start is the first hour of logs; Hours how many hours they span.
	Start time.Time
	Hours int
	// Protocols are the HttpProxy sub-folders to write.
	Protocols []string
	// RowsPerHour is the benign HttpProxy rows per protocol and hour.
	RowsPerHour int
	// TargetLogBytes, when set, replaces RowsPerHour with the rate that
	// makes Exchange's own logs about this large in total (the IIS logs
	// come on top: see IISTargetBytes).
	TargetLogBytes int64
	// MaxFileBytes rolls HttpProxy files over like Exchange (10 MB).
	MaxFileBytes int64
	// InstallDir is where Exchange goes, relative to the drive.
	InstallDir string
	// Attacks plants the attack; without it the server is clean.
	Attacks bool
	// Hive writes the SOFTWARE hive (MsiInstallPath, versions, roles) and
	// the SYSTEM hive (computer name, domain) under Windows/System32/config.
	Hive bool
	// HostName and Domain are the server's names (default EX01,
	// contoso.local).
	HostName, Domain string
	// Build is the cumulative update level the registry records (default
	// 15.1.2176.2, Exchange 2016 CU19); Updates the security updates it
	// lists as installed.
	Build   string
	Updates []Update
	// ExchangeVolume puts Exchange on another drive ("D"): its files go
	// to VolumeDir, which stands for that drive's top.
	ExchangeVolume string
	VolumeDir      string
	// ExSetupBuild, when set, is ExSetup.exe's version whatever the
	// updates say (tests of disagreeing sources).
	ExSetupBuild string
	// Mitigated applies Microsoft's temporary mitigations: the URL Rewrite
	// rules in web.config, the ECP and OAB application pools set not to
	// start, the Unified Messaging services disabled.
	Mitigated bool
	// HalfPatched leaves ExSetup.exe and the OWA resources at the CU's
	// build although the registry records the updates as installed.
	HalfPatched bool
	// Seed makes the benign traffic reproducible.
	Seed int64

	// IISLogDir is the folder applicationHost.config names for the IIS
	// logs, as a slash path with an optional drive letter ("D:/IISLogs"
	// on ExchangeVolume, "C:/Logs/IIS" or "Logs/IIS" on the system drive);
	// empty is IIS's default, inetpub/logs/LogFiles. Each site logs to
	// W3SVC<id> below it.
	IISLogDir string
	// IISPreviousLogDir is the folder IIS logged to before (same forms,
	// empty for the default). When it differs from IISLogDir, the logs
	// moved half-way through the span: the earlier lines are in this
	// folder, and inetpub/history/CFGHISTORY_0000000001 keeps the
	// configuration that names it.
	IISPreviousLogDir string
	// IISTargetBytes, when set, sizes the IIS logs of both sites
	// independently of the Exchange logs; otherwise each site logs one
	// line per benign HttpProxy row (RowsPerHour for each protocol).
	IISTargetBytes int64
	// NoIISLogs leaves the IIS logs out (the configuration still names
	// the sites).
	NoIISLogs bool
}

// DefaultInstallDir is Exchange's default install folder.
const DefaultInstallDir = "Program Files/Microsoft/Exchange Server/V15"

// AllProtocols are the HttpProxy folders of an Exchange 2016 server.
var AllProtocols = []string{"Autodiscover", "Eas", "Ecp", "Ews", "Mapi", "Oab", "Owa", "OwaCalendar", "PowerShell", "RpcHttp"}

// attackDay is when the planted attack happens (the real incident's date).
var attackDay = time.Date(2021, 3, 3, 0, 0, 0, 0, time.UTC)

// Update is a security update recorded in the registry.
type Update struct {
	Name      string
	Installed time.Time
}

// March2021Update is the ProxyLogon fix for Exchange 2016 CU19, as the
// registry records it.
var March2021Update = Update{Name: "Security Update for Exchange Server 2016 Cumulative Update 19 (KB5000871)", Installed: time.Date(2021, 3, 6, 10, 12, 0, 0, time.UTC)}

// CurrentBuild and CurrentUpdate make a clean server current: Exchange
// 2016 CU23 with its August 2026 security update (15.1.2507.72).
var (
	CurrentBuild  = "15.1.2507.6"
	CurrentUpdate = Update{Name: "Security Update for Exchange Server 2016 Cumulative Update 23 (KB5121576)", Installed: time.Date(2026, 8, 20, 9, 0, 0, 0, time.UTC)}
)

// DemoOptions is a small attacked server: two days of logs around the
// attack, a few megabytes in all. It was patched three days after the
// attack, as many were.
func DemoOptions() Options {
	return Options{
		Start:       attackDay.Add(-24 * time.Hour),
		Hours:       60,
		Protocols:   AllProtocols,
		RowsPerHour: 12,
		InstallDir:  DefaultInstallDir,
		Attacks:     true,
		Hive:        true,
		Seed:        1,
		Updates:     []Update{March2021Update},
		Mitigated:   true,
	}
}

func (o *Options) defaults() {
	if o.Start.IsZero() {
		o.Start = attackDay.Add(-24 * time.Hour)
	}
	if o.Hours <= 0 {
		o.Hours = 48
	}
	if len(o.Protocols) == 0 {
		o.Protocols = AllProtocols
	}
	if o.RowsPerHour <= 0 {
		o.RowsPerHour = 10
	}
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = 10 << 20
	}
	if o.InstallDir == "" {
		o.InstallDir = DefaultInstallDir
	}
	if o.HostName == "" {
		o.HostName = "EX01"
	}
	if o.Build == "" {
		// An attacked server runs the CU of March 2021; a clean one is
		// current: the last CU with its newest security update.
		o.Build = "15.1.2176.2"
		if !o.Attacks {
			o.Build, o.Updates = CurrentBuild, []Update{CurrentUpdate}
		}
	}
	if o.Domain == "" {
		o.Domain = "contoso.local"
	}
	if o.TargetLogBytes > 0 {
		per := o.TargetLogBytes / int64(benignRowBytes*o.Hours*len(o.Protocols))
		o.RowsPerHour = int(max(per, 1))
	}
}

// Expect is a finding a correct scan reports.
type Expect struct {
	Rule     string
	Severity finding.Severity
	// Path is relative to the generated root (or to the folder of the
	// volume it is on), forward slashes.
	Path string
	// Volume is the drive letter: C, or Options.ExchangeVolume.
	Volume string
	// Line is 0 for whole-file findings.
	Line int
	// Why says what was planted, for test failure messages.
	Why string
}

// Manifest is what was generated.
type Manifest struct {
	Root     string
	Expected []Expect
	// ExpectedIIS are the findings a correct scan reports from the IIS
	// logs; Expected holds them too.
	ExpectedIIS []Expect
	// QuietIIS are benign IIS lines that look like the attack's (Rule and
	// Severity empty): a correct scan reports nothing on them.
	QuietIIS []Expect
	// LogFiles and LogBytes count every log written, as a scan reads
	// them; IISLogFiles and IISLogBytes are the IIS logs' share.
	LogFiles    int
	LogBytes    int64
	IISLogFiles int
	IISLogBytes int64
	// EventLogFiles and EventLogBytes are the Windows event logs' share.
	EventLogFiles int
	EventLogBytes int64
	// Actors are the clients of the planted incident, Mailboxes the SMTP
	// addresses the successful actor read, Milestones its times (all
	// empty for a clean server).
	Actors     []Actor
	Mailboxes  []string
	Milestones Milestones
	// Baseline is a known-good hash baseline of the Exchange files the
	// generator wrote, in Microsoft's format (SHA256,build,\relative\path,
	// upper-case hex), with the content Exchange installed: files modified
	// by the planted attacks differ from it.
	Baseline []string
}

type generator struct {
	opt  Options
	dir  string
	rng  *rand.Rand
	man  *Manifest
	inst string // install dir, forward slashes
	// incident is the planted attack, nil on a clean server.
	incident *incident
}

// Generate writes a server into dir, which must exist.
func Generate(dir string, opt Options) (*Manifest, error) {
	opt.defaults()
	g := &generator{opt: opt, dir: dir, rng: rand.New(rand.NewSource(opt.Seed)), man: &Manifest{Root: dir}, inst: strings.Trim(filepath.ToSlash(opt.InstallDir), "/")}
	if opt.ExchangeVolume != "" {
		if opt.VolumeDir == "" {
			return g.man, fmt.Errorf("testserver: ExchangeVolume %s without VolumeDir", opt.ExchangeVolume)
		}
		g.inst = strings.ToUpper(opt.ExchangeVolume) + ":/" + g.inst
	}
	if _, err := g.iisLogDirs(); err != nil {
		return g.man, err // before anything is written
	}
	if opt.Attacks {
		g.incident = g.plan()
	}
	steps := []func() error{g.httpProxy, g.ecpServer, g.oabGenerator, g.webFolders, g.contentOnly, g.dropPlaces, g.iisConfig, g.iisLogs, g.eventLogs}
	if opt.Hive {
		steps = append(steps, g.hive)
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return g.man, err
		}
	}
	g.recordIncident()
	g.man.Expected = append(g.man.Expected, g.man.ExpectedIIS...)
	return g.man, nil
}

func (g *generator) expect(rule string, sev finding.Severity, p string, line int, why string) {
	vol, rel := g.volumeOf(p)
	g.man.Expected = append(g.man.Expected, Expect{Rule: rule, Severity: sev, Path: rel, Volume: vol, Line: line, Why: why})
}

// volumeOf splits "D:/rest" into the volume and the path on it.
func (g *generator) volumeOf(p string) (volume, rel string) {
	if len(p) > 3 && p[1] == ':' && p[2] == '/' {
		return p[:1], p[3:]
	}
	return "C", p
}

// host is where a generated path goes on disk.
func (g *generator) host(p string) string {
	if vol, rel := g.volumeOf(p); vol != "C" {
		return filepath.Join(g.opt.VolumeDir, filepath.FromSlash(rel))
	}
	return filepath.Join(g.dir, filepath.FromSlash(p))
}

// writeFile writes content at rel (slash path) with the given modification
// time, creating folders.
func (g *generator) writeFile(rel string, content []byte, mod time.Time) error {
	full := g.host(rel)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(full, content, 0o644); err != nil {
		return err
	}
	if mod.IsZero() {
		return nil
	}
	return os.Chtimes(full, mod, mod)
}

func (g *generator) exchange(rel string) string { return path.Join(g.inst, rel) }

// windowsInstallPath is MsiInstallPath for the generated install folder.
func (g *generator) windowsInstallPath() string {
	vol, rel := g.volumeOf(g.inst)
	return vol + `:\` + strings.ReplaceAll(rel, "/", `\`) + `\`
}

func (g *generator) hive() error {
	b := winreg.NewBuilder("ROOT")
	key := `Microsoft\ExchangeServer\v15\Setup`
	b.SetString(key, "MsiInstallPath", g.windowsInstallPath())
	var parts [4]uint32
	if n, err := fmt.Sscanf(g.opt.Build, "%d.%d.%d.%d", &parts[0], &parts[1], &parts[2], &parts[3]); err != nil || n != 4 {
		return fmt.Errorf("testserver: build %q: want 15.1.2176.2", g.opt.Build)
	}
	b.SetDWORD(key, "MsiProductMajor", parts[0])
	b.SetDWORD(key, "MsiProductMinor", parts[1])
	b.SetDWORD(key, "MsiBuildMajor", parts[2])
	b.SetDWORD(key, "MsiBuildMinor", parts[3])
	for i, u := range g.opt.Updates {
		k := fmt.Sprintf(`Microsoft\Updates\Exchange 2016\{%08d-0000-0000-0000-000000000000}`, i)
		b.SetString(k, "PackageName", u.Name)
		b.SetString(k, "InstalledDate", u.Installed.Format("1/2/2006"))
	}
	g.expectBuild()
	for _, role := range []string{"MailboxRole", "ClientAccessRole"} {
		b.SetString(`Microsoft\ExchangeServer\v15\`+role, "ConfiguredVersion", "15.1.2176.2")
	}
	cv := `Microsoft\Windows NT\CurrentVersion`
	b.SetString(cv, "ProductName", "Windows Server 2016 Standard")
	b.SetString(cv, "CurrentBuildNumber", "14393")
	b.SetDWORD(cv, "UBR", 4283)
	b.SetString(cv, "SystemRoot", `C:\Windows`)
	data, err := b.Bytes()
	if err != nil {
		return err
	}
	if err := g.writeFile("Windows/System32/config/SOFTWARE", data, time.Time{}); err != nil {
		return err
	}
	sys := winreg.NewBuilder("ROOT")
	sys.SetDWORD(`Select`, "Current", 1)
	sys.SetString(`ControlSet001\Control\ComputerName\ComputerName`, "ComputerName", g.opt.HostName)
	sys.SetString(`ControlSet001\Services\Tcpip\Parameters`, "Hostname", strings.ToLower(g.opt.HostName))
	sys.SetString(`ControlSet001\Services\Tcpip\Parameters`, "Domain", g.opt.Domain)
	for _, svc := range []string{"MSExchangeUM", "MSExchangeUMCR", "MSExchangeHM"} {
		start := uint32(2) // automatic
		if g.opt.Mitigated {
			start = 4 // disabled
		}
		sys.SetDWORD(`ControlSet001\Services\`+svc, "Start", start)
	}
	data, err = sys.Bytes()
	if err != nil {
		return err
	}
	return g.writeFile("Windows/System32/config/SYSTEM", data, time.Time{})
}

// effectiveBuild is the newest release of the CU whose KB an installed
// update names.
func (g *generator) effectiveBuild() builds.Version {
	table := builds.MustBuiltin()
	v, err := builds.Parse(g.opt.Build)
	if err != nil {
		return builds.Version{}
	}
	for _, u := range g.opt.Updates {
		for _, r := range table.Releases {
			if r.KB != "" && strings.Contains(u.Name, r.KB) && r.SU != "" && r.Version.SameCU(v) && r.Version.Compare(v) > 0 {
				v = r.Version
			}
		}
	}
	return v
}

// expectBuild adds the patch-state findings the generated build, updates
// and ExSetup.exe call for.
func (g *generator) expectBuild() {
	v, _ := builds.Parse(g.installedBuild())
	if len(builds.MustBuiltin().Lookup(v).Missing) > 0 {
		g.expect("patch-vulnerable-build", finding.High, g.inst, 0, "build "+v.String()+" misses critical fixes")
	}
	if g.opt.HalfPatched && g.effectiveBuild() != v {
		g.expect("patch-half-applied", finding.High, g.inst, 0, "the update is recorded but ExSetup.exe was not replaced")
	}
}

// iisConfig writes applicationHost.config with the two sites and their
// log folder, and when the logs moved, the earlier configuration IIS kept
// in its history folder.
func (g *generator) iisConfig() error {
	dirs, err := g.iisLogDirs()
	if err != nil {
		return err
	}
	if err := g.writeFile("Windows/System32/inetsrv/config/applicationHost.config", []byte(g.applicationHostConfig(dirs.current)), time.Time{}); err != nil {
		return err
	}
	if dirs.moveAt == 0 {
		return nil
	}
	return g.writeFile(iisHistoryDir+"/applicationHost.config", []byte(g.applicationHostConfig(dirs.previous)), time.UnixMilli(dirs.moveAt))
}

// applicationHostConfig is the configuration with the IIS logs in logDir.
func (g *generator) applicationHostConfig(logDir string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<configuration>
    <system.applicationHost>
` + g.iisSitesConfig(logDir) + `        <applicationPools>
            <add name="DefaultAppPool" managedRuntimeVersion="v4.0" />
            <add name="MSExchangeOWAAppPool" managedRuntimeVersion="v4.0" managedPipelineMode="Integrated" />
            <add name="MSExchangeECPAppPool" managedRuntimeVersion="v4.0" managedPipelineMode="Integrated"` + g.poolOff() + ` />
            <add name="MSExchangeOABAppPool" managedRuntimeVersion="v4.0" managedPipelineMode="Integrated"` + g.poolOff() + ` />
            <add name="MSExchangeServicesAppPool" managedRuntimeVersion="v4.0" managedPipelineMode="Integrated" />
        </applicationPools>
    </system.applicationHost>
</configuration>
`
}

// poolOff is what Microsoft's mitigation script sets on a pool.
func (g *generator) poolOff() string {
	if g.opt.Mitigated {
		return ` autoStart="false" startMode="OnDemand"`
	}
	return ""
}

// reveal decodes the attack payloads kept in this package. They are stored
// encoded so that anti-virus engines scanning the exhunt binary on a server
// do not take the demo's web shell text for a real one.
func reveal(s string) string {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(fmt.Sprintf("testserver: bad payload: %v", err))
	}
	for i := range b {
		b[i] ^= 0x5a
	}
	return string(b)
}
