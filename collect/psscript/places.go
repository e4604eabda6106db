package psscript

import (
	"path"
	"strings"

	"github.com/exhunt/exhunt/facts"
	"github.com/exhunt/exhunt/source/eventlog"
	"github.com/exhunt/exhunt/sysreg"
)

// Base is where a place's path starts on the server; the script finds it
// when it runs.
type Base string

const (
	// SystemDrive is the top of the system drive (%SystemDrive%\). The
	// scan looks for Windows' own folders relative to the drive's top, so
	// they are named from here, not from %windir%.
	SystemDrive Base = "SystemDrive"
	// Exchange is Exchange's install folder: MsiInstallPath of the
	// registry's ExchangeServer\v15\Setup key (v14 for Exchange 2010),
	// else $env:ExchangeInstallPath, else the default folder.
	Exchange Base = "Exchange"
	// WebRoot is the folder IIS serves its Default Web Site from
	// (applicationHost.config, as the scan reads it), and the default
	// %SystemDrive%\inetpub\wwwroot when that differs.
	WebRoot Base = "WebRoot"
	// IISLogs are the folders IIS writes request logs under: those the
	// current applicationHost.config and its backups in inetpub\history
	// name, and the default %SystemDrive%\inetpub\logs\LogFiles.
	IISLogs Base = "IISLogs"
	// EventLogs are the event log folders: System32\winevt\Logs and those
	// the registry names for the Application, Security and System logs
	// (as facts finds them).
	EventLogs Base = "EventLogs"
)

// Place is a folder the script copies files from.
type Place struct {
	Base Base
	// Path is below the base, with backslashes; "." is the base itself.
	// A segment holding * or ? matches every folder of that name (no
	// links followed).
	Path string
	// Depth limits how deep below the folder files are taken, as the
	// scan's facts.Place.MaxDepth does: 1 = the folder's own files; 0 = no
	// limit.
	Depth int
	// Include are the name patterns (PowerShell -like, any case) of the
	// files taken; none takes every file. Exclude are left out.
	Include, Exclude []string
	// Logs marks log folders: -Since leaves out their files last written
	// before it.
	Logs bool
	// Switch, when set, names the script's switch that turns the place
	// on; otherwise it is always collected.
	Switch string
	// Why says what the scan reads there; it is written into the script
	// beside the place.
	Why string
}

// winPath turns one of the scan's slash paths into a Windows one.
func winPath(p string) string { return strings.ReplaceAll(p, "/", `\`) }

// Exchange's log folders under Logging that the scan's Exchange log source
// reads (source/exchange), every *.log file below them.
var exchangeLogFolders = []string{"HttpProxy", "ECP/Server", "OABGeneratorLog"}

// stagedArchives are the archive names the ProgramData check looks for
// (detect/postexploit), deeper than the other checks go.
var stagedArchives = []string{"*.7z", "*.zip", "*.rar"}

// Switches of the script that add places or logs.
const (
	SwitchAllExchangeLogs = "AllExchangeLogs"
	SwitchAllEventLogs    = "AllEventLogs"
	SwitchSkipSecretHives = "SkipCredentialHives"
)

// Places are what the script copies, most important first, so that a
// total size limit leaves out the least important. Each is where a part
// of the scan reads: the facts (facts.Gather), the log sources
// (source/exchange, source/iis) and the file checks' places (web folders,
// compiled pages, drop places). A file in several places is taken once.
var Places = buildPlaces()

func buildPlaces() []Place {
	ps := []Place{
		{Base: Exchange, Path: `Bin`, Depth: 1, Include: []string{"ExSetup.exe"},
			Why: "ExSetup.exe: its version resource is the installed build, hence the patch level"},
		{Base: SystemDrive, Path: winPath(path.Dir(facts.IISConfigFile)), Depth: 1,
			Why: "IIS configuration: sites, web root, log folders, application pools and URL Rewrite rules (mitigations)"},
		{Base: SystemDrive, Path: winPath(facts.IISHistoryDir), Depth: 2,
			Why: "earlier IIS configurations: log folders the current one no longer names"},
		{Base: Exchange, Path: `FrontEnd\HttpProxy\owa\auth`,
			Why: "OWA's auth folder, where the 2021 web shells were written"},
		{Base: Exchange, Path: `FrontEnd\HttpProxy\ecp\auth`,
			Why: "ECP's auth folder, where the 2021 web shells were written"},
		{Base: WebRoot, Path: `aspnet_client`,
			Why: "aspnet_client, where most 2021 web shells were written"},
		{Base: WebRoot, Path: `.`,
			Why: "the web root: web shells, web.config (URL Rewrite mitigation), dumps written through a shell"},
	}
	for _, dir := range exchangeLogFolders {
		ps = append(ps, Place{Base: Exchange, Path: `Logging\` + winPath(dir), Include: []string{"*.log"}, Logs: true,
			Why: "Exchange's " + winPath(dir) + " logs, read by the scan's Exchange log checks"})
	}
	ps = append(ps,
		Place{Base: IISLogs, Path: `.`, Include: []string{"*.log"}, Logs: true,
			Why: "the IIS request logs of every site (W3SVC<id> folders)"},
		Place{Base: EventLogs, Path: `.`, Depth: 1, Include: []string{"Archive-*.evtx"}, Logs: true,
			Why: "event logs the event log service archived when they were full: the scan reads them with the live ones"},
		Place{Base: Exchange, Path: `FrontEnd\HttpProxy`,
			Why: "the front end's web folder: web shells, modified Exchange pages, the front end's binaries (half-applied updates)"},
		Place{Base: Exchange, Path: `ClientAccess`,
			Why: "the back end's web folder: web shells, modified Exchange pages"},
		Place{Base: SystemDrive, Path: `Windows\Microsoft.NET\Framework*\v*\Temporary ASP.NET Files`,
			Why: "pages ASP.NET compiled, web shells included, kept after the page was deleted"},
	)
	// The drop places of the file checks (facts' drop places), with their
	// depths.
	ps = append(ps,
		Place{Base: SystemDrive, Path: `Windows\Temp`, Depth: 4, Why: "a drop place: tools, dumps, scripts"},
		Place{Base: SystemDrive, Path: `root`, Depth: 4, Why: "a drop place of the campaign"},
		Place{Base: SystemDrive, Path: `ProgramData`, Depth: 6, Why: "a drop place: archives staged for exfiltration, dumps, tools"},
		Place{Base: SystemDrive, Path: `ProgramData`, Depth: 8, Include: stagedArchives,
			Why: "archives staged deeper in ProgramData (the staged-archive check looks eight folders deep)"},
		Place{Base: SystemDrive, Path: `Users\Public`, Depth: 4, Why: "a drop place: ransom notes, tools"},
		Place{Base: SystemDrive, Path: `PerfLogs`, Depth: 4, Why: "a drop place of the campaign"},
		Place{Base: SystemDrive, Path: `.`, Depth: 1, Exclude: []string{"pagefile.sys", "hiberfil.sys", "swapfile.sys"},
			Why: "files at the top of the system drive (the paging and hibernation files are left out: no evidence the scan reads)"},
		Place{Base: SystemDrive, Path: `Users\*\AppData\Local\Temp`, Depth: 4, Why: "the users' temporary folders: dumps, tools"},
		Place{Base: SystemDrive, Path: `Users\*\Desktop`, Depth: 4, Why: "the users' desktops: dumps, tools"},
		Place{Base: Exchange, Path: `Logging`, Include: []string{"*.log"}, Logs: true, Switch: SwitchAllExchangeLogs,
			Why: "every Exchange log, for log rules given to the scan with --rules"},
	)
	return ps
}

// Channels are the event log channels the script exports: those the
// scan's event log checks read (source/eventlog.ReadChannels). With
// -AllEventLogs it exports every channel that has a log file.
var Channels = append([]string(nil), eventlog.ReadChannels...)

// EventLogFileName is the name Windows gives a channel's log file, and
// the one the script exports it to: "/" is written "%4"
// ("Microsoft-Windows-Sysmon%4Operational.evtx"), as source/eventlog
// reads it back.
func EventLogFileName(channel string) string {
	return strings.ReplaceAll(channel, "/", "%4") + ".evtx"
}

// EventLogDir is where the exported logs go on the system drive: the
// folder the scan reads them from.
var EventLogDir = winPath(facts.DefaultEventLogDir)

// Hive is a registry hive the script saves with reg save.
type Hive struct {
	// Key is the hive's key ("HKLM\SYSTEM"); File its file name in
	// System32\config, where the copy goes too.
	Key, File string
	// Secret marks hives of credentials (SAM, SECURITY): not read by the
	// scan, taken for the responder, left out with -SkipCredentialHives.
	Secret bool
	Why    string
}

// Hives are saved into Windows\System32\config of the system drive's
// folder, where the scan reads them (sysreg.HivePath).
var Hives = []Hive{
	{Key: `HKLM\` + string(sysreg.System), File: string(sysreg.System), Why: "computer name, domain, services (Unified Messaging mitigation), event log locations"},
	{Key: `HKLM\` + string(sysreg.Software), File: string(sysreg.Software), Why: "Exchange's install folder, version, roles and installed updates; Windows' version"},
	{Key: `HKLM\SAM`, File: "SAM", Secret: true, Why: "local accounts (for the responder; not read by the scan)"},
	{Key: `HKLM\SECURITY`, File: "SECURITY", Secret: true, Why: "LSA secrets and cached logons (for the responder; not read by the scan)"},
}

// HiveDir is the hives' folder on the system drive.
var HiveDir = winPath(path.Dir(sysreg.HivePath(sysreg.System)))

// Reasons a file is left out, as manifest.csv's notes and
// collection.json's skipped summary name them.
const (
	SkipSince     = "since"
	SkipFileSize  = "max-file-size"
	SkipTotalSize = "max-total-size"
	SkipDiskSpace = "disk-space"
)

// SkipReasons lists them in the order the summary gives them.
var SkipReasons = []string{SkipSince, SkipFileSize, SkipTotalSize, SkipDiskSpace}
