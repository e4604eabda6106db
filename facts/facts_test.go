package facts

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/root"
	"github.com/exhunt/exhunt/source/exlog"
	"github.com/exhunt/exhunt/testserver"
	"github.com/exhunt/exhunt/winreg"
)

const (
	v15         = DefaultExchangeDir
	owaLog      = "HttpProxy_2021030300-1.LOG"
	ecpLog      = "ECPServer20210303-1.LOG"
	oabLog      = "OABGeneratorLog20210303-1.LOG"
	installBase = `C:\Program Files\Microsoft\Exchange Server\V15\`
)

// build makes the files under dir (slash paths, relative); a name ending
// in "/" is a folder. Files hold a line of text unless given in contents.
func build(t *testing.T, dir string, names []string, contents map[string][]byte) {
	t.Helper()
	for _, n := range names {
		full := filepath.Join(dir, filepath.FromSlash(n))
		if strings.HasSuffix(n, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		data, ok := contents[n]
		if !ok {
			data = []byte("x\r\n")
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func hiveBytes(t *testing.T, b *winreg.Builder) []byte {
	t.Helper()
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func openRoot(t *testing.T, dir string) *root.FS {
	t.Helper()
	fsys, err := root.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	return fsys
}

// gather runs Gather on dir as the system drive with the other volumes
// mounted, as scan does.
func gather(t *testing.T, dir string, volumes map[byte]string, opt Options) *Server {
	t.Helper()
	drives := root.NewDrives(openRoot(t, dir))
	for l, d := range volumes {
		drives.Mount(l, openRoot(t, d))
	}
	opt.RootDir = dir
	s := Gather(drives, opt)
	t.Cleanup(func() { s.Close() })
	return s
}

func hasNote(s *Server, sub string) bool {
	for _, n := range s.Notes {
		if strings.Contains(n, sub) {
			return true
		}
	}
	return false
}

type logDirWant struct {
	dir, fixed string
	ok         bool
}

func TestRecognition(t *testing.T) {
	cases := []struct {
		name string
		// folder is the root's own name: a protocol folder is named for
		// its protocol.
		folder      string
		files       []string
		kind        Kind
		detail      string
		exchangeDir string
		loggingDir  string
		systemBase  string
		installPath string
		partial     bool
		logDirs     map[string]logDirWant
		// winPath is a name of the root and where the server has it.
		winPath [2]string
	}{
		{
			name: "system drive with Exchange", folder: "C",
			files:       []string{"Windows/System32/", "program files/Microsoft/EXCHANGE SERVER/v15/Logging/HttpProxy/Owa/" + owaLog},
			kind:        KindSystemDrive,
			detail:      "a system drive with Exchange in its default folder",
			exchangeDir: "program files/Microsoft/EXCHANGE SERVER/v15",
			loggingDir:  "program files/Microsoft/EXCHANGE SERVER/v15/Logging",
			systemBase:  `C:\`,
			installPath: `C:\program files\Microsoft\EXCHANGE SERVER\v15\`,
			logDirs: map[string]logDirWant{
				"HttpProxy":  {"program files/Microsoft/EXCHANGE SERVER/v15/Logging/HttpProxy", "", true},
				"ECP/Server": {"", "", false},
			},
			winPath: [2]string{"Windows/Temp/x.exe", `C:\Windows\Temp\x.exe`},
		},
		{
			name: "system drive without Exchange", folder: "C",
			files:      []string{"Windows/System32/drivers/"},
			kind:       KindSystemDrive,
			detail:     "a system drive",
			systemBase: `C:\`,
			logDirs:    map[string]logDirWant{"HttpProxy": {"", "", false}},
			winPath:    [2]string{"Windows/Temp/x.exe", `C:\Windows\Temp\x.exe`},
		},
		{
			name: "V15 folder", folder: "V15",
			files:       []string{"Logging/HttpProxy/Owa/" + owaLog, "Bin/"},
			kind:        KindExchange,
			detail:      "Exchange's install folder (V15)",
			exchangeDir: ".",
			loggingDir:  "Logging",
			systemBase:  installBase,
			installPath: installBase,
			partial:     true,
			logDirs: map[string]logDirWant{
				"HttpProxy":  {"Logging/HttpProxy", "", true},
				"ECP/Server": {"", "", false},
			},
			winPath: [2]string{"Logging/HttpProxy/Owa/x.LOG", installBase + `Logging\HttpProxy\Owa\x.LOG`},
		},
		{
			name: "Logging folder", folder: "Logging",
			files:      []string{"HttpProxy/Owa/" + owaLog, "ECP/Server/" + ecpLog},
			kind:       KindLogging,
			detail:     "Exchange's Logging folder",
			loggingDir: ".",
			systemBase: installBase + `Logging\`,
			partial:    true,
			logDirs: map[string]logDirWant{
				"HttpProxy":       {"HttpProxy", "", true},
				"ECP/Server":      {"ECP/Server", "", true},
				"OABGeneratorLog": {"", "", false},
			},
			winPath: [2]string{"HttpProxy/Owa/x.LOG", installBase + `Logging\HttpProxy\Owa\x.LOG`},
		},
		{
			name: "HttpProxy folder", folder: "HttpProxy",
			files:      []string{"Owa/" + owaLog, "Ecp/" + owaLog, "Ews/"},
			kind:       KindLogFolder,
			detail:     "Exchange's Logging\\HttpProxy folder",
			systemBase: installBase + `Logging\HttpProxy\`,
			partial:    true,
			logDirs: map[string]logDirWant{
				"HttpProxy":  {".", "", true},
				"ECP/Server": {"", "", false},
			},
			winPath: [2]string{"Owa/x.LOG", installBase + `Logging\HttpProxy\Owa\x.LOG`},
		},
		{
			name: "one HttpProxy protocol folder", folder: "Owa",
			files:      []string{owaLog, "HttpProxy_2021030301-1.LOG"},
			kind:       KindLogFolder,
			detail:     "the Logging\\HttpProxy\\Owa folder",
			systemBase: installBase + `Logging\HttpProxy\Owa\`,
			partial:    true,
			logDirs: map[string]logDirWant{
				"HttpProxy":  {".", "Owa", true},
				"ECP/Server": {"", "", false},
			},
			winPath: [2]string{"x.LOG", installBase + `Logging\HttpProxy\Owa\x.LOG`},
		},
		{
			name: "ECP folder", folder: "ECP",
			files:      []string{"Server/" + ecpLog},
			kind:       KindLogFolder,
			detail:     "Exchange's Logging\\ECP folder",
			systemBase: installBase + `Logging\ECP\`,
			partial:    true,
			logDirs: map[string]logDirWant{
				"ECP/Server": {"Server", "", true},
				"HttpProxy":  {"", "", false},
			},
			winPath: [2]string{"Server/x.LOG", installBase + `Logging\ECP\Server\x.LOG`},
		},
		{
			name: "ECP Server folder", folder: "Server",
			files:      []string{ecpLog},
			kind:       KindLogFolder,
			detail:     "Exchange's Logging\\ECP\\Server folder",
			systemBase: installBase + `Logging\ECP\Server\`,
			partial:    true,
			logDirs: map[string]logDirWant{
				"ECP/Server": {".", "", true},
				"HttpProxy":  {"", "", false},
			},
			winPath: [2]string{"x.LOG", installBase + `Logging\ECP\Server\x.LOG`},
		},
		{
			name: "OABGeneratorLog folder", folder: "OABGeneratorLog",
			files:      []string{oabLog},
			kind:       KindLogFolder,
			detail:     "Exchange's Logging\\OABGeneratorLog folder",
			systemBase: installBase + `Logging\OABGeneratorLog\`,
			partial:    true,
			logDirs: map[string]logDirWant{
				"OABGeneratorLog": {".", "", true},
				"HttpProxy":       {"", "", false},
			},
			winPath: [2]string{"x.LOG", installBase + `Logging\OABGeneratorLog\x.LOG`},
		},
		{
			name: "names of logs without the .LOG extension", folder: "notes",
			files:      []string{"HttpProxy_2021030300-1.txt", "ECPServer20210303-1.LOG.bak", "Server/ECPServer.zip"},
			kind:       KindUnknown,
			detail:     "no part of a Windows system drive or of Exchange was recognised",
			systemBase: `C:\`,
			logDirs:    map[string]logDirWant{"HttpProxy": {"", "", false}, "ECP/Server": {"", "", false}},
		},
		{
			name: "empty folder", folder: "empty",
			kind:       KindUnknown,
			detail:     "no part of a Windows system drive or of Exchange was recognised",
			systemBase: `C:\`,
			logDirs:    map[string]logDirWant{"HttpProxy": {"", "", false}, "ECP/Server": {"", "", false}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), c.folder)
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			build(t, dir, c.files, nil)
			s := gather(t, dir, nil, Options{})
			if s.Kind != c.kind || s.KindDetail != c.detail {
				t.Errorf("Kind = %q (%q); want %q (%q)", s.Kind, s.KindDetail, c.kind, c.detail)
			}
			if s.Label != c.folder {
				t.Errorf("Label = %q; want the folder's name %q", s.Label, c.folder)
			}
			if s.ExchangeDir != c.exchangeDir || s.LoggingDir != c.loggingDir {
				t.Errorf("ExchangeDir, LoggingDir = %q, %q; want %q, %q", s.ExchangeDir, s.LoggingDir, c.exchangeDir, c.loggingDir)
			}
			if s.SystemBase != c.systemBase {
				t.Errorf("SystemBase = %q; want %q", s.SystemBase, c.systemBase)
			}
			if s.InstallPath != c.installPath || s.InstallPathKnown {
				t.Errorf("InstallPath = %q (known %v); want %q guessed", s.InstallPath, s.InstallPathKnown, c.installPath)
			}
			if got := s.Partial() != ""; got != c.partial {
				t.Errorf("Partial() = %q; want text: %v", s.Partial(), c.partial)
			}
			if c.partial && s.ExchangeSource == "" {
				t.Error("ExchangeSource is empty; want what the folder was recognised as")
			}
			for sub, want := range c.logDirs {
				dir, fixed, ok := s.LogDir(sub)
				if dir != want.dir || fixed != want.fixed || ok != want.ok {
					t.Errorf("LogDir(%q) = %q, %q, %v; want %q, %q, %v", sub, dir, fixed, ok, want.dir, want.fixed, want.ok)
				}
			}
			if c.winPath[0] != "" {
				if got := s.WindowsPath(c.winPath[0]); got != c.winPath[1] {
					t.Errorf("WindowsPath(%q) = %q; want %q", c.winPath[0], got, c.winPath[1])
				}
			}
			// A folder that is one server, or nothing recognised, is
			// scanned as one server.
			if got, _ := FindServers(openRoot(t, dir)); !slices.Equal(serverDirs(got), []string{"."}) {
				t.Errorf("FindServers = %q; want [.]", serverDirs(got))
			}
		})
	}
}

func TestFindServers(t *testing.T) {
	drive := func(prefix string) []string {
		return []string{
			prefix + "Windows/System32/",
			prefix + v15 + "/Logging/HttpProxy/Owa/" + owaLog,
		}
	}
	cases := []struct {
		name  string
		files []string
		want  []string
	}{
		{"case folder of system drive copies", append(drive("EX01/"), drive("EX02/")...), []string{"EX01", "EX02"}},
		{"servers two levels down", []string{
			"EX01/C/" + v15 + "/Logging/HttpProxy/Owa/" + owaLog,
			"EX02/C/" + v15 + "/Logging/ECP/Server/" + ecpLog,
			"EX02/notes/",
		}, []string{"EX01/C", "EX02/C"}},
		{"single server copy", drive(""), []string{"."}},
		{"one server in a sub-folder beside unrelated folders", append(drive("image/"),
			"notes/readme.txt", "tools/bin/x.exe", "exports/"), []string{"image"}},
		// A copy of a data volume with Exchange outside the default
		// folder is one server, found by the layout search under ".".
		{"one Exchange deep in a data volume copy", []string{
			"Exchange/V15/Logging/HttpProxy/Owa/" + owaLog,
			"Backup/",
		}, []string{"."}},
		{"empty folder", nil, []string{"."}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			build(t, dir, c.files, nil)
			if got, _ := FindServers(openRoot(t, dir)); !slices.Equal(serverDirs(got), c.want) {
				t.Errorf("FindServers = %q; want %q", serverDirs(got), c.want)
			}
		})
	}
}

func softwareHive(install string) *winreg.Builder {
	b := winreg.NewBuilder("CMI-CreateHive{199DAFC2-6F16-4946-BF90-5A3FC3A60902}")
	if install != "" {
		b.SetString(exchangeSetupKey, "MsiInstallPath", install)
	}
	b.SetString(windowsVersionKey, "SystemRoot", `C:\Windows`)
	return b
}

func TestExchangeOnAnotherVolume(t *testing.T) {
	cdir, ddir := t.TempDir(), t.TempDir()
	build(t, cdir, []string{"Windows/System32/config/SOFTWARE", "inetpub/wwwroot/"}, map[string][]byte{
		"Windows/System32/config/SOFTWARE": hiveBytes(t, softwareHive(`D:\Exchange\V15\`)),
	})
	build(t, ddir, []string{"Exchange/V15/Logging/HttpProxy/Owa/" + owaLog, "Exchange/V15/FrontEnd/HttpProxy/owa/auth/"}, nil)

	t.Run("mounted", func(t *testing.T) {
		s := gather(t, cdir, map[byte]string{'D': ddir}, Options{})
		if s.ExchangeDir != "D:/Exchange/V15" || !strings.Contains(s.ExchangeSource, "MsiInstallPath") {
			t.Errorf("ExchangeDir = %q from %q; want D:/Exchange/V15 from MsiInstallPath", s.ExchangeDir, s.ExchangeSource)
		}
		if s.InstallPath != `D:\Exchange\V15\` || !s.InstallPathKnown {
			t.Errorf("InstallPath = %q (known %v); want D:\\Exchange\\V15\\ from the registry", s.InstallPath, s.InstallPathKnown)
		}
		if s.LoggingDir != "D:/Exchange/V15/Logging" {
			t.Errorf("LoggingDir = %q", s.LoggingDir)
		}
		if d, _, ok := s.LogDir("HttpProxy"); !ok || d != "D:/Exchange/V15/Logging/HttpProxy" {
			t.Errorf("LogDir(HttpProxy) = %q, %v", d, ok)
		}
		if s.HotSpots.OwaAuth != "D:/Exchange/V15/FrontEnd/HttpProxy/owa/auth" {
			t.Errorf("HotSpots.OwaAuth = %q", s.HotSpots.OwaAuth)
		}
		if got, want := s.WindowsPath("D:/Exchange/V15/Logging/x.LOG"), `D:\Exchange\V15\Logging\x.LOG`; got != want {
			t.Errorf("WindowsPath = %q; want %q", got, want)
		}
		if got, want := s.WindowsPath("Windows/Temp/x.exe"), `C:\Windows\Temp\x.exe`; got != want {
			t.Errorf("WindowsPath on the system volume = %q; want %q", got, want)
		}
		if hasNote(s, "--volume") {
			t.Errorf("Notes = %q; want no --volume advice when D is mounted", s.Notes)
		}
	})
	t.Run("not mounted", func(t *testing.T) {
		s := gather(t, cdir, nil, Options{})
		if s.ExchangeDir != "" {
			t.Errorf("ExchangeDir = %q; want none", s.ExchangeDir)
		}
		if s.InstallPath != `D:\Exchange\V15\` || !s.InstallPathKnown {
			t.Errorf("InstallPath = %q (known %v); want the registry's", s.InstallPath, s.InstallPathKnown)
		}
		if !hasNote(s, "--volume D=") {
			t.Errorf("Notes = %q; want advice to add --volume D=", s.Notes)
		}
	})
}

func TestExchangeFoundWithoutRegistryOnAnotherVolume(t *testing.T) {
	cdir := t.TempDir()
	build(t, cdir, []string{"Windows/System32/"}, nil)
	t.Run("default folder", func(t *testing.T) {
		ddir := t.TempDir()
		build(t, ddir, []string{v15 + "/Logging/HttpProxy/Owa/" + owaLog}, nil)
		s := gather(t, cdir, map[byte]string{'D': ddir}, Options{})
		if s.ExchangeDir != "D:/"+v15 || s.ExchangeSource != "default install folder on volume D:" {
			t.Errorf("ExchangeDir = %q from %q", s.ExchangeDir, s.ExchangeSource)
		}
		if want := `D:\Program Files\Microsoft\Exchange Server\V15\`; s.InstallPath != want || s.InstallPathKnown {
			t.Errorf("InstallPath = %q (known %v); want %q guessed", s.InstallPath, s.InstallPathKnown, want)
		}
	})
	t.Run("layout search", func(t *testing.T) {
		ddir := t.TempDir()
		build(t, ddir, []string{"Apps/Archive/V15/Logging/unrelated/", "Apps/Microsoft/V15/Logging/OABGeneratorLog/" + oabLog}, nil)
		s := gather(t, cdir, map[byte]string{'D': ddir}, Options{})
		if s.ExchangeDir != "D:/Apps/Microsoft/V15" || s.ExchangeSource != "found by its V15\\Logging layout" {
			t.Errorf("ExchangeDir = %q from %q", s.ExchangeDir, s.ExchangeSource)
		}
	})
}

// systemHive is a SYSTEM hive naming EX01 in contoso.local in its current
// control set, and another name in a control set that is not current.
func systemHive() *winreg.Builder {
	b := winreg.NewBuilder("SYSTEM")
	b.SetDWORD(`Select`, "Current", 1)
	b.SetString(`ControlSet001\Control\ComputerName\ComputerName`, "ComputerName", "EX01")
	b.SetString(`ControlSet001\Services\Tcpip\Parameters`, "Domain", "contoso.local")
	b.SetString(`ControlSet002\Control\ComputerName\ComputerName`, "ComputerName", "STALE")
	return b
}

func TestIdentityFromHives(t *testing.T) {
	dir := t.TempDir()
	sw := softwareHive(installBase)
	sw.SetString(windowsVersionKey, "ProductName", "Windows Server 2016 Standard")
	sw.SetString(windowsVersionKey, "CurrentBuildNumber", "14393")
	sw.SetDWORD(windowsVersionKey, "UBR", 4283)
	sw.SetDWORD(exchangeSetupKey, "MsiProductMajor", 15)
	sw.SetDWORD(exchangeSetupKey, "MsiProductMinor", 1)
	sw.SetDWORD(exchangeSetupKey, "MsiBuildMajor", 2176)
	sw.SetDWORD(exchangeSetupKey, "MsiBuildMinor", 2)
	sw.SetString(exchangeKey+`\MailboxRole`, "ConfiguredVersion", "15.1.2176.2")
	sw.SetString(exchangeKey+`\ClientAccessRole`, "ConfiguredVersion", "15.1.2176.2")
	build(t, dir, []string{
		"Windows/System32/config/SOFTWARE",
		"Windows/System32/config/SYSTEM",
		v15 + "/Logging/HttpProxy/Owa/" + owaLog,
	}, map[string][]byte{
		"Windows/System32/config/SOFTWARE": hiveBytes(t, sw),
		"Windows/System32/config/SYSTEM":   hiveBytes(t, systemHive()),
		// The log names another server: the registry wins.
		v15 + "/Logging/HttpProxy/Owa/" + owaLog: httpProxyLog("LOGNAME"),
	})
	s := gather(t, dir, nil, Options{})
	id := s.Identity
	if id.HostName != "EX01" || !strings.Contains(id.HostNameSource, "registry hive Windows/System32/config/SYSTEM") {
		t.Errorf("HostName = %q from %q; want EX01 from the SYSTEM hive", id.HostName, id.HostNameSource)
	}
	if s.Name() != "EX01" {
		t.Errorf("Name() = %q; want EX01", s.Name())
	}
	if id.Domain != "contoso.local" || id.FQDN != "EX01.contoso.local" {
		t.Errorf("Domain, FQDN = %q, %q", id.Domain, id.FQDN)
	}
	if id.Windows != "Windows Server 2016 Standard (build 14393.4283)" {
		t.Errorf("Windows = %q", id.Windows)
	}
	if id.Exchange != "15.1.2176.2" || !strings.Contains(id.ExchangeSource, "SOFTWARE") {
		t.Errorf("Exchange = %q from %q", id.Exchange, id.ExchangeSource)
	}
	if !slices.Equal(id.Roles, []string{"ClientAccess", "Mailbox"}) {
		t.Errorf("Roles = %q; want [ClientAccess Mailbox]", id.Roles)
	}
	if s.InstallPath != installBase || !s.InstallPathKnown || s.ExchangeDir != v15 {
		t.Errorf("InstallPath = %q (known %v), ExchangeDir = %q", s.InstallPath, s.InstallPathKnown, s.ExchangeDir)
	}
	if len(s.Errors) != 0 {
		t.Errorf("Errors = %v", s.Errors)
	}
}

// httpProxyLog is an HttpProxy log of one row whose ServerHostName is
// host.
func httpProxyLog(host string) []byte {
	row := make([]string, len(exlog.HttpProxyFields))
	for i, f := range exlog.HttpProxyFields {
		switch f {
		case "DateTime":
			row[i] = "2021-03-03T00:00:01.000Z"
		case "Protocol":
			row[i] = "Owa"
		case "UrlStem":
			row[i] = "/owa/auth/logon.aspx"
		case "ServerHostName":
			row[i] = host
		case "HttpStatus":
			row[i] = "200"
		}
	}
	return []byte("#Software: Microsoft Exchange Server\r\n" +
		"#Version: 15.01.2176.002\r\n" +
		"#Log-type: HttpProxy Logs\r\n" +
		"#Date: 2021-03-03T00:00:00.000Z\r\n" +
		"#Fields: " + strings.Join(exlog.HttpProxyFields, ",") + "\r\n" +
		strings.Join(row, ",") + "\r\n")
}

func TestHostNameFromLogs(t *testing.T) {
	cases := []struct{ field, want string }{
		{"EX01", "EX01"},
		{" EX-01.contoso_lab ", "EX-01.contoso_lab"},
		{"EX01 evil", ""},
		{"EX01\x1b[2J", ""},
		{"EX01\x07", ""},
		{"EX01\u202egnp", ""},
		{"EX01<script>", ""},
		{"", ""},
	}
	for _, c := range cases {
		dir := filepath.Join(t.TempDir(), "V15")
		logPath := "Logging/HttpProxy/Owa/" + owaLog
		build(t, dir, []string{logPath}, map[string][]byte{logPath: httpProxyLog(c.field)})
		s := gather(t, dir, nil, Options{})
		if s.Identity.HostName != c.want {
			t.Errorf("ServerHostName %q: HostName = %q; want %q", c.field, s.Identity.HostName, c.want)
			continue
		}
		if c.want != "" && s.Identity.HostNameSource != "server name field of "+logPath {
			t.Errorf("HostNameSource = %q; want the log named", s.Identity.HostNameSource)
		}
		if c.want == "" && s.Name() != "V15" {
			t.Errorf("Name() = %q; want the folder's name when the log's field is rejected", s.Name())
		}
	}
}

const iisConfig = `<?xml version="1.0" encoding="UTF-8"?>
<configuration>
    <system.applicationHost>
        <sites>
            <site name="Default Web Site" id="1">
                <application path="/" applicationPool="DefaultAppPool">
                    <virtualDirectory path="/" physicalPath="D:\inetpub\wwwroot" />
                </application>
            </site>
        </sites>
    </system.applicationHost>
</configuration>
`

func TestWebRootOnAnotherVolume(t *testing.T) {
	cdir, ddir := t.TempDir(), t.TempDir()
	build(t, cdir, []string{IISConfigFile}, map[string][]byte{IISConfigFile: []byte(iisConfig)})
	build(t, ddir, []string{"inetpub/wwwroot/aspnet_client/system_web/"}, nil)

	t.Run("mounted", func(t *testing.T) {
		s := gather(t, cdir, map[byte]string{'d': ddir}, Options{})
		if s.WebRoot != "D:/inetpub/wwwroot" || s.WebRootSource != "IIS applicationHost.config (Default Web Site)" {
			t.Errorf("WebRoot = %q from %q", s.WebRoot, s.WebRootSource)
		}
		if s.HotSpots.AspnetClient != "D:/inetpub/wwwroot/aspnet_client" {
			t.Errorf("HotSpots.AspnetClient = %q", s.HotSpots.AspnetClient)
		}
		if !slices.Contains(s.WebFolders, "D:/inetpub/wwwroot") {
			t.Errorf("WebFolders = %q", s.WebFolders)
		}
		if s.IIS == nil || len(s.IIS.Sites) != 1 {
			t.Errorf("IIS = %+v", s.IIS)
		}
		if hasNote(s, "--volume") {
			t.Errorf("Notes = %q; want no --volume advice", s.Notes)
		}
	})
	t.Run("not mounted", func(t *testing.T) {
		s := gather(t, cdir, nil, Options{})
		if s.WebRoot != "" || s.HotSpots.AspnetClient != "" {
			t.Errorf("WebRoot = %q, aspnet_client = %q; want none", s.WebRoot, s.HotSpots.AspnetClient)
		}
		if !hasNote(s, "--volume D=") {
			t.Errorf("Notes = %q; want advice to add --volume D=", s.Notes)
		}
	})
	// IIS leaves C:\inetpub\wwwroot behind when the site moves to D:. The
	// copy's folder at the same place is checked, but the user must still
	// be told that the volume IIS serves from was not given.
	t.Run("not mounted, same folder on C", func(t *testing.T) {
		c2 := t.TempDir()
		build(t, c2, []string{IISConfigFile, "inetpub/wwwroot/aspnet_client/"}, map[string][]byte{IISConfigFile: []byte(iisConfig)})
		s := gather(t, c2, nil, Options{})
		if s.WebRoot != "inetpub/wwwroot" {
			t.Errorf("WebRoot = %q; want the copy's inetpub/wwwroot", s.WebRoot)
		}
		if !hasNote(s, "--volume D=") || !hasNote(s, "inetpub/wwwroot") {
			t.Errorf("Notes = %q; want advice to add --volume D= naming the folder checked instead", s.Notes)
		}
	})
}

func TestExchangeDirOption(t *testing.T) {
	cdir, ddir := t.TempDir(), t.TempDir()
	build(t, cdir, []string{"Windows/System32/", v15 + "/Logging/HttpProxy/Owa/" + owaLog}, nil)
	build(t, ddir, []string{"Exchange/V15/Logging/HttpProxy/Owa/" + owaLog}, nil)

	t.Run("missing", func(t *testing.T) {
		s := gather(t, cdir, nil, Options{ExchangeDir: "E:/NoSuch/V15"})
		if !s.ExchangeDirMissing || s.ExchangeDir != "" {
			t.Errorf("ExchangeDirMissing = %v, ExchangeDir = %q; want true and none (not the default folder)", s.ExchangeDirMissing, s.ExchangeDir)
		}
	})
	for _, given := range []string{"D:/Exchange/V15", `d:\exchange\v15\`} {
		t.Run(given, func(t *testing.T) {
			s := gather(t, cdir, map[byte]string{'D': ddir}, Options{ExchangeDir: given})
			if s.ExchangeDirMissing || s.ExchangeDir != "D:/Exchange/V15" || s.ExchangeSource != "--exchange-dir" {
				t.Errorf("ExchangeDir = %q from %q (missing %v); want D:/Exchange/V15 from --exchange-dir", s.ExchangeDir, s.ExchangeSource, s.ExchangeDirMissing)
			}
			if s.LoggingDir != "D:/Exchange/V15/Logging" || s.InstallPath != `D:\Exchange\V15\` {
				t.Errorf("LoggingDir = %q, InstallPath = %q", s.LoggingDir, s.InstallPath)
			}
		})
	}
}

func TestUserTempsAndDropPlaces(t *testing.T) {
	dir := t.TempDir()
	build(t, dir, []string{
		"Windows/System32/",
		"Windows/Temp/",
		"ProgramData/",
		"Users/alice/AppData/Local/Temp/",
		"Users/alice/Desktop/",
		"Users/bob/AppData/Local/Temp/",
		"Users/bob/Desktop/",
		"Users/carol/Documents/",
		"Users/Public/Desktop/",
		"Users/Public/AppData/Local/Temp/",
		"Users/desktop.ini",
	}, nil)
	s := gather(t, dir, nil, Options{})
	want := []Place{
		{Dir: "Users/alice/AppData/Local/Temp", MaxDepth: 4},
		{Dir: "Users/alice/Desktop", MaxDepth: 4},
		{Dir: "Users/bob/AppData/Local/Temp", MaxDepth: 4},
		{Dir: "Users/bob/Desktop", MaxDepth: 4},
	}
	if !slices.Equal(s.UserTemps, want) {
		t.Errorf("UserTemps = %+v; want %+v", s.UserTemps, want)
	}
	var drops []string
	for _, p := range s.DropPlaces {
		drops = append(drops, p.Dir)
	}
	// Users/Public is a drop place of its own, not a user's temp folder.
	if want := []string{"Windows/Temp", "ProgramData", "Users/Public", "."}; !slices.Equal(drops, want) {
		t.Errorf("DropPlaces = %q; want %q", drops, want)
	}
}

func TestNoDropPlacesOutsideSystemDrive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "V15")
	build(t, dir, []string{"Logging/HttpProxy/Owa/" + owaLog, "Users/alice/Desktop/", "Windows/Temp/"}, nil)
	s := gather(t, dir, nil, Options{})
	if s.Kind != KindExchange || len(s.DropPlaces) != 0 || len(s.UserTemps) != 0 {
		t.Errorf("Kind %q: DropPlaces = %+v, UserTemps = %+v; want none outside a system drive", s.Kind, s.DropPlaces, s.UserTemps)
	}
}

// TestRecognitionOfGeneratedServer recognises each part of the synthetic
// server the demo scans, laid out as Exchange lays its folders out (the
// HttpProxy folder holds an Ecp protocol folder next to the others).
func TestRecognitionOfGeneratedServer(t *testing.T) {
	dir := t.TempDir()
	if _, err := testserver.Generate(dir, testserver.DemoOptions()); err != nil {
		t.Fatal(err)
	}
	logging := v15 + "/Logging"
	cases := []struct {
		sub     string
		kind    Kind
		logRoot string
		// family is a log family that must be found, with the protocol
		// folder the root is.
		family, fixed string
	}{
		{".", KindSystemDrive, "", "HttpProxy", ""},
		{v15, KindExchange, "", "HttpProxy", ""},
		{logging, KindLogging, "", "ECP/Server", ""},
		{logging + "/HttpProxy", KindLogFolder, "HttpProxy", "HttpProxy", ""},
		{logging + "/HttpProxy/Ecp", KindLogFolder, "HttpProxy/Ecp", "HttpProxy", "Ecp"},
		{logging + "/HttpProxy/Owa", KindLogFolder, "HttpProxy/Owa", "HttpProxy", "Owa"},
		{logging + "/ECP", KindLogFolder, "ECP", "ECP/Server", ""},
		{logging + "/ECP/Server", KindLogFolder, "ECP/Server", "ECP/Server", ""},
		{logging + "/OABGeneratorLog", KindLogFolder, "OABGeneratorLog", "OABGeneratorLog", ""},
	}
	for _, c := range cases {
		t.Run(c.sub, func(t *testing.T) {
			s := gather(t, filepath.Join(dir, filepath.FromSlash(c.sub)), nil, Options{})
			if s.Kind != c.kind || s.logRoot != c.logRoot {
				t.Fatalf("Kind = %q (%s), log root %q; want %q, %q", s.Kind, s.KindDetail, s.logRoot, c.kind, c.logRoot)
			}
			d, fixed, ok := s.LogDir(c.family)
			if !ok || fixed != c.fixed || firstLog(s.Drives, d, 2) == "" {
				t.Errorf("LogDir(%q) = %q, %q, %v: no log found there", c.family, d, fixed, ok)
			}
			// The registry, the HttpProxy and the ECP Server logs name the
			// host; the OAB generator's logs do not.
			if want := "EX01"; c.family == "OABGeneratorLog" {
				if s.Identity.HostName != "" {
					t.Errorf("HostName = %q from %q; want none", s.Identity.HostName, s.Identity.HostNameSource)
				}
			} else if s.Identity.HostName != want {
				t.Errorf("HostName = %q from %q; want EX01", s.Identity.HostName, s.Identity.HostNameSource)
			}
		})
	}
}

// serverDirs are the system drive folders of the servers found.
func serverDirs(servers []ServerDir) []string {
	var out []string
	for _, s := range servers {
		out = append(out, s.Dir)
	}
	return out
}

// TestFindServersDriveFolders: a server copied as one folder per drive is
// one server, its system drive the folder that is one, the others mounted
// by their letters.
func TestFindServersDriveFolders(t *testing.T) {
	dir := t.TempDir()
	build(t, dir, []string{
		"EX03/C/Windows/System32/",
		"EX03/d/Exchange/V15/Logging/HttpProxy/Owa/" + owaLog,
		"EX03/E/",
		"EX04/Windows/System32/",
		"EX04/" + v15 + "/Logging/HttpProxy/Owa/" + owaLog,
		"papers/x.txt",
	}, nil)
	got, skipped := FindServers(openRoot(t, dir))
	if len(got) != 2 || got[0].Dir != "EX03/C" || got[0].Volumes['D'] != "EX03/d" || got[0].Volumes['E'] != "EX03/E" || len(got[0].Volumes) != 2 || got[1].Dir != "EX04" || got[1].Volumes != nil {
		t.Errorf("FindServers = %+v", got)
	}
	if len(skipped) != 1 || skipped[0].Dir != "papers" {
		t.Errorf("skipped = %q, want [papers]", skipped)
	}
	// The drive folders as the root itself.
	got, _ = FindServers(openRoot(t, filepath.Join(dir, "EX03")))
	if len(got) != 1 || got[0].Dir != "C" || got[0].Volumes['D'] != "d" {
		t.Errorf("FindServers(EX03) = %+v", got)
	}
}

// deniedFS refuses to list one folder, as an unreadable folder on a copy
// does.
type deniedFS struct {
	fs.FS
	denied string
}

func (d deniedFS) Open(name string) (fs.File, error) {
	if name == d.denied {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return d.FS.Open(name)
}

// TestUnreadableFolderOnTheWay: an unreadable folder on the way to
// Exchange is not "Exchange not found": the resolver remembers it, and
// the scan lists it among the errors.
func TestUnreadableFolderOnTheWay(t *testing.T) {
	dir := t.TempDir()
	build(t, dir, []string{"Windows/System32/", v15 + "/Logging/HttpProxy/Owa/" + owaLog}, nil)
	s := Gather(root.NewDrives(deniedFS{FS: openRoot(t, dir), denied: "Program Files"}), Options{})
	defer s.Close()
	if s.ExchangeDir != "" {
		t.Fatalf("Exchange found at %q through an unreadable folder", s.ExchangeDir)
	}
	if err, ok := s.Resolver.Problems()["Program Files"]; !ok || !errors.Is(err, fs.ErrPermission) {
		t.Errorf("problems %v: the unreadable folder is not remembered", s.Resolver.Problems())
	}
}

// TestFindServersHostileCases are layouts of case folders that once made
// a server vanish or two servers merge.
func TestFindServersHostileCases(t *testing.T) {
	sys := func(prefix string) []string {
		return []string{prefix + "Windows/System32/", prefix + v15 + "/Logging/HttpProxy/Owa/" + owaLog}
	}
	cases := []struct {
		name        string
		files       []string
		link        [2]string // name, target (outside the case)
		want        []string
		wantSkipped []string
	}{
		{"a stray log file beside the servers", append(append(sys("EX01/"), sys("EX02/")...), "HttpProxy_2021030200-1.LOG"),
			[2]string{}, []string{"EX01", "EX02"}, []string{"."}},
		{"servers found only deeper, under one folder", []string{
			"images/EX01/Exchange/V15/Logging/HttpProxy/Owa/" + owaLog,
			"images/EX02/Exchange/V15/Logging/ECP/Server/" + ecpLog,
		}, [2]string{}, []string{"images/EX01", "images/EX02"}, nil},
		{"a single-letter folder beside a server", append(sys("C/"), sys("EX02/")...), [2]string{}, []string{"C", "EX02"}, nil},
		{"an empty drive-like folder inside a server", append(sys("EX01/"), "EX01/X/Program Files/"), [2]string{}, []string{"EX01"}, nil},
		{"a copy one level down in a server's folder", append(sys("EX01/"), sys("EX02/image/")...), [2]string{}, []string{"EX01", "EX02/image"}, nil},
		{"a folder whose name holds a colon", sys("C:/"), [2]string{}, []string{"C:"}, nil},
		{"a symbolic link among the servers", sys("EX01/"), [2]string{"EX02", "elsewhere"}, []string{"EX01"}, []string{"EX02"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			build(t, dir, c.files, nil)
			if c.link[0] != "" {
				if err := os.Symlink(filepath.Join(t.TempDir(), c.link[1]), filepath.Join(dir, c.link[0])); err != nil {
					t.Skip(err)
				}
			}
			got, skipped := FindServers(openRoot(t, dir))
			var skippedDirs []string
			for _, s := range skipped {
				skippedDirs = append(skippedDirs, s.Dir)
				if s.Why == "" {
					t.Errorf("skipped %s without a reason", s.Dir)
				}
			}
			if !slices.Equal(serverDirs(got), c.want) || !slices.Equal(skippedDirs, c.wantSkipped) {
				t.Errorf("FindServers = %q, skipped %q; want %q, skipped %q", serverDirs(got), skippedDirs, c.want, c.wantSkipped)
			}
		})
	}
}

// exchangeIISConfig is the sites part of applicationHost.config as Exchange
// setup leaves it, with logDir as the default log folder.
func exchangeIISConfig(logDir string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<configuration>
    <system.applicationHost>
        <log>
            <centralW3CLogFile enabled="true" directory="%SystemDrive%\inetpub\logs\LogFiles" />
        </log>
        <sites>
            <site name="Default Web Site" id="1">
                <application path="/"><virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" /></application>
            </site>
            <site name="Exchange Back End" id="2" serverAutoStart="true">
                <application path="/"><virtualDirectory path="/" physicalPath="C:\Program Files\Microsoft\Exchange Server\V15\ClientAccess" /></application>
            </site>
            <siteDefaults>
                <logFile logFormat="W3C" directory="` + logDir + `" />
            </siteDefaults>
        </sites>
    </system.applicationHost>
</configuration>
`)
}

const iisLogs = "inetpub/logs/LogFiles"

func TestIISSites(t *testing.T) {
	logFile := "u_ex210305.log"
	t.Run("from the configuration and the folders", func(t *testing.T) {
		dir := t.TempDir()
		build(t, dir, []string{
			"Windows/System32/", IISConfigFile,
			iisLogs + "/W3SVC1/" + logFile, iisLogs + "/w3svc2/" + logFile, iisLogs + "/W3SVC3/", iisLogs + "/HTTPERR/", iisLogs + "/W3SVC",
		}, map[string][]byte{IISConfigFile: exchangeIISConfig(`%SystemDrive%\inetpub\logs\LogFiles`)})
		s := gather(t, dir, nil, Options{})
		want := []IISSiteLogs{
			{ID: 1, Name: "Default Web Site", Role: IISFrontEnd, LogDir: iisLogs + "/W3SVC1"},
			{ID: 2, Name: "Exchange Back End", Role: IISBackEnd, LogDir: iisLogs + "/w3svc2"},
			{ID: 3, LogDir: iisLogs + "/W3SVC3"},
		}
		if !slices.Equal(s.IISSites, want) {
			t.Errorf("IISSites = %+v\nwant %+v", s.IISSites, want)
		}
		if !slices.Equal(s.IISLogDirs, []string{iisLogs}) {
			t.Errorf("IISLogDirs = %q", s.IISLogDirs)
		}
		for file, want := range map[string]IISSiteLogs{
			iisLogs + "/w3svc2/" + logFile:  want[1],
			"Evidence/W3SVC1/" + logFile:    {ID: 1, Name: "Default Web Site", Role: IISFrontEnd, LogDir: "Evidence/W3SVC1"},
			"Evidence/W3SVC7/" + logFile:    {ID: 7, LogDir: "Evidence/W3SVC7"},
			iisLogs + "/W3SVC10/" + logFile: {ID: 10, LogDir: iisLogs + "/W3SVC10"},
		} {
			if got, ok := s.IISSiteOf(file); !ok || got != want {
				t.Errorf("IISSiteOf(%q) = %+v, %v; want %+v", file, got, ok, want)
			}
		}
		if got, ok := s.IISSiteOf("Evidence/" + logFile); ok {
			t.Errorf("IISSiteOf outside a site folder = %+v", got)
		}
	})
	t.Run("no configuration", func(t *testing.T) {
		dir := t.TempDir()
		build(t, dir, []string{"Windows/System32/", iisLogs + "/W3SVC2/" + logFile, iisLogs + "/W3SVC1/" + logFile}, nil)
		s := gather(t, dir, nil, Options{})
		want := []IISSiteLogs{{ID: 1, LogDir: iisLogs + "/W3SVC1"}, {ID: 2, LogDir: iisLogs + "/W3SVC2"}}
		if !slices.Equal(s.IISSites, want) {
			t.Errorf("IISSites = %+v\nwant %+v", s.IISSites, want)
		}
	})
	t.Run("logs moved to another volume", func(t *testing.T) {
		cdir, ddir := t.TempDir(), t.TempDir()
		build(t, cdir, []string{"Windows/System32/", IISConfigFile, iisLogs + "/W3SVC1/" + logFile},
			map[string][]byte{IISConfigFile: exchangeIISConfig(`D:\IISLogs`)})
		build(t, ddir, []string{"IISLogs/W3SVC1/" + logFile, "IISLogs/W3SVC2/" + logFile}, nil)
		s := gather(t, cdir, map[byte]string{'D': ddir}, Options{})
		want := []IISSiteLogs{
			{ID: 1, Name: "Default Web Site", Role: IISFrontEnd, LogDir: "D:/IISLogs/W3SVC1"},
			// The logs written before the move, named by the site ID.
			{ID: 1, Name: "Default Web Site", Role: IISFrontEnd, LogDir: iisLogs + "/W3SVC1"},
			{ID: 2, Name: "Exchange Back End", Role: IISBackEnd, LogDir: "D:/IISLogs/W3SVC2"},
		}
		if !slices.Equal(s.IISSites, want) {
			t.Errorf("IISSites = %+v\nwant %+v", s.IISSites, want)
		}
		if !slices.Equal(s.IISLogDirs, []string{"D:/IISLogs", iisLogs}) {
			t.Errorf("IISLogDirs = %q", s.IISLogDirs)
		}
	})
}

func TestIISConfigHistory(t *testing.T) {
	dir := t.TempDir()
	history := func(n int) string {
		return fmt.Sprintf("inetpub/history/CFGHISTORY_%010d/applicationHost.config", n)
	}
	names := []string{"Windows/System32/", IISConfigFile, iisLogs + "/W3SVC1/x.log", "inetpub/history/CFGHISTORY_0000000099/"}
	contents := map[string][]byte{IISConfigFile: exchangeIISConfig(`%SystemDrive%\inetpub\logs\LogFiles`)}
	// Forty backups, each with its own log folder; only the newest 32 are
	// read. Backup 40 names the current folder in another spelling.
	for n := 1; n <= 40; n++ {
		logDir := fmt.Sprintf(`C:\OldLogs%d`, n)
		if n == 40 {
			logDir = `c:\INETPUB\logs\LogFiles\`
		}
		names = append(names, history(n), fmt.Sprintf("OldLogs%d/W3SVC1/x.log", n))
		contents[history(n)] = exchangeIISConfig(logDir)
	}
	names = append(names, "inetpub/history/CFGHISTORY_0000000041/applicationHost.config")
	contents["inetpub/history/CFGHISTORY_0000000041/applicationHost.config"] = exchangeIISConfig(`E:\Gone`)
	names = append(names, "inetpub/history/CFGHISTORY_0000000042/applicationHost.config")
	contents["inetpub/history/CFGHISTORY_0000000042/applicationHost.config"] = []byte("<configuration><system.applicationHost>")
	build(t, dir, names, contents)

	s := gather(t, dir, nil, Options{})
	// The newest 32 backup folders are 99 (without a configuration), 42
	// (unreadable), 41 (a folder not in the copy), 40 (the current
	// folder) and 39 down to 12.
	if len(s.IISLogDirs) != 1+28 || s.IISLogDirs[0] != iisLogs {
		t.Fatalf("IISLogDirs = %q; want the current folder and those of backups 12-39", s.IISLogDirs)
	}
	for n := 1; n <= 39; n++ {
		if got := slices.Contains(s.IISLogDirs, fmt.Sprintf("OldLogs%d", n)); got != (n >= 12) {
			t.Errorf("OldLogs%d read: %v", n, got)
		}
	}
	site := IISSiteLogs{ID: 1, Name: "Default Web Site", Role: IISFrontEnd, LogDir: "OldLogs25/W3SVC1"}
	if !slices.Contains(s.IISSites, site) {
		t.Errorf("IISSites = %+v; want %+v among them", s.IISSites, site)
	}
	for _, note := range []string{"CFGHISTORY_0000000039) had request logs written to C:\\OldLogs39", "E:\\Gone, which is not in this copy", "the newest 32 were read"} {
		if !hasNote(s, note) {
			t.Errorf("no note saying %q: %q", note, s.Notes)
		}
	}
	if hasNote(s, "INETPUB") {
		t.Errorf("the current folder in another spelling is no change: %q", s.Notes)
	}
	if len(s.Errors) != 1 || !strings.Contains(s.Errors[0].Path, "CFGHISTORY_0000000042") {
		t.Errorf("Errors = %+v; want the unreadable backup", s.Errors)
	}
}
