package sysreg

import (
	"encoding/binary"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/exhunt/exhunt/root"
	"github.com/exhunt/exhunt/winreg"
)

// utf16z encodes s as UTF-16LE with a terminating NUL, as Windows stores
// REG_SZ and REG_EXPAND_SZ data.
func utf16z(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return append(b, 0, 0)
}

// writeHive writes the builder's hive at rel (slash path) under dir.
func writeHive(t *testing.T, dir, rel string, b *winreg.Builder) {
	t.Helper()
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, rel, data)
}

func writeFile(t *testing.T, dir, rel string, data []byte) {
	t.Helper()
	full := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// openOffline reads the hives of dir the way facts.Gather does: through a
// read-only root and its case-insensitive resolver.
func openOffline(t *testing.T, dir string) *Offline {
	t.Helper()
	fsys, err := root.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	o := NewOffline(fsys, root.NewResolver(fsys).Resolve)
	t.Cleanup(func() { o.Close() })
	return o
}

func softwareHive() *winreg.Builder {
	b := winreg.NewBuilder("CMI-CreateHive{199DAFC2-6F16-4946-BF90-5A3FC3A60902}")
	setup := `Microsoft\ExchangeServer\v15\Setup`
	b.SetString(setup, "MsiInstallPath", `C:\Program Files\Microsoft\Exchange Server\V15\`)
	b.SetDWORD(setup, "MsiBuildMajor", 2176)
	b.SetValue(setup, "QuadWord", winreg.RegQWORD, binary.LittleEndian.AppendUint64(nil, 1<<40+7))
	b.SetValue(`Microsoft\Windows NT\CurrentVersion`, "SystemRoot", winreg.RegExpandSZ, utf16z(`%SystemDrive%\Windows`))
	b.SetValue(`Microsoft\Windows NT\CurrentVersion`, "Multi", winreg.RegMultiSZ, append(append(utf16z("one"), utf16z("two")...), 0, 0))
	b.SetString(`Microsoft\ExchangeServer\v15\MailboxRole`, "ConfiguredVersion", "15.1.2176.2")
	b.SetString(`Microsoft\ExchangeServer\v15\ClientAccessRole`, "ConfiguredVersion", "15.1.2176.2")
	return b
}

func TestOfflineValues(t *testing.T) {
	dir := t.TempDir()
	writeHive(t, dir, "Windows/System32/config/SOFTWARE", softwareHive())
	o := openOffline(t, dir)

	strs := []struct{ key, name, want string }{
		{`Microsoft\ExchangeServer\v15\Setup`, "MsiInstallPath", `C:\Program Files\Microsoft\Exchange Server\V15\`},
		// Key and value names are case-insensitive, as in Windows.
		{`microsoft\EXCHANGESERVER\V15\setup`, "msiinstallpath", `C:\Program Files\Microsoft\Exchange Server\V15\`},
		// REG_EXPAND_SZ is returned unexpanded.
		{`Microsoft\Windows NT\CurrentVersion`, "SystemRoot", `%SystemDrive%\Windows`},
		{`Microsoft\Windows NT\CurrentVersion`, "Multi", "one\ntwo"},
		// Numbers read as text are decimal.
		{`Microsoft\ExchangeServer\v15\Setup`, "MsiBuildMajor", "2176"},
		{`Microsoft\ExchangeServer\v15\Setup`, "QuadWord", "1099511627783"},
	}
	for _, c := range strs {
		got, err := o.String(Software, c.key, c.name)
		if err != nil || got != c.want {
			t.Errorf("String(%s, %s) = %q, %v; want %q", c.key, c.name, got, err, c.want)
		}
	}
	if n, err := o.Uint(Software, `Microsoft\ExchangeServer\v15\Setup`, "MsiBuildMajor"); err != nil || n != 2176 {
		t.Errorf("Uint(MsiBuildMajor) = %d, %v; want 2176", n, err)
	}
	if n, err := o.Uint(Software, `Microsoft\ExchangeServer\v15\Setup`, "QuadWord"); err != nil || n != 1<<40+7 {
		t.Errorf("Uint(QuadWord) = %d, %v; want %d", n, err, uint64(1<<40+7))
	}
	if _, err := o.Uint(Software, `Microsoft\ExchangeServer\v15\Setup`, "MsiInstallPath"); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("Uint of a REG_SZ value: err = %v; want a type error that is not ErrNotFound", err)
	}

	subs, err := o.Subkeys(Software, `Microsoft\ExchangeServer\v15`)
	slices.Sort(subs)
	if want := []string{"ClientAccessRole", "MailboxRole", "Setup"}; err != nil || !slices.Equal(subs, want) {
		t.Errorf("Subkeys = %q, %v; want %q", subs, err, want)
	}
	if !o.Present(Software) || o.Present(System) {
		t.Errorf("Present(SOFTWARE) = %v, Present(SYSTEM) = %v; want true, false", o.Present(Software), o.Present(System))
	}
	if p := o.Problems(); len(p) != 0 {
		t.Errorf("Problems() = %v for a good hive and a missing one; want none", p)
	}
}

func TestOfflineNotFound(t *testing.T) {
	dir := t.TempDir()
	writeHive(t, dir, "Windows/System32/config/SOFTWARE", softwareHive())
	o := openOffline(t, dir)

	cases := []struct {
		what      string
		hive      Hive
		key, name string
	}{
		{"missing hive", System, `ControlSet001\Control\ComputerName\ComputerName`, "ComputerName"},
		{"missing key", Software, `Microsoft\NoSuchKey`, "X"},
		{"missing value", Software, `Microsoft\ExchangeServer\v15\Setup`, "NoSuchValue"},
	}
	for _, c := range cases {
		if _, err := o.String(c.hive, c.key, c.name); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: String err = %v; want ErrNotFound", c.what, err)
		}
		if _, err := o.Uint(c.hive, c.key, c.name); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: Uint err = %v; want ErrNotFound", c.what, err)
		}
	}
	if _, err := o.Subkeys(System, `Select`); !errors.Is(err, ErrNotFound) {
		t.Errorf("Subkeys of a missing hive: err = %v; want ErrNotFound", err)
	}
	if _, err := o.Subkeys(Software, `Microsoft\NoSuchKey`); !errors.Is(err, ErrNotFound) {
		t.Errorf("Subkeys of a missing key: err = %v; want ErrNotFound", err)
	}
	if got := StringOr(o, Software, `Microsoft\NoSuchKey`, "X"); got != "" {
		t.Errorf("StringOr of a missing key = %q; want empty", got)
	}
	// A hive that is simply not part of the copy is no problem to report.
	if p := o.Problems(); len(p) != 0 {
		t.Errorf("Problems() = %v; want none for a hive that is absent", p)
	}
}

// systemHive has two control sets with different computer names, the
// second marked current.
func systemHive(current uint32) *winreg.Builder {
	b := winreg.NewBuilder("SYSTEM")
	b.SetDWORD(`Select`, "Current", current)
	b.SetDWORD(`Select`, "Default", current)
	b.SetDWORD(`Select`, "LastKnownGood", 1)
	b.SetString(`ControlSet001\Control\ComputerName\ComputerName`, "ComputerName", "OLDNAME")
	b.SetString(`ControlSet002\Control\ComputerName\ComputerName`, "ComputerName", "EX02")
	// A key whose name only starts with the alias is an ordinary key.
	b.SetString(`CurrentControlSetX\Control\ComputerName\ComputerName`, "ComputerName", "LITERAL")
	b.SetString(`ControlSet001\Services\Tcpip\Parameters`, "Domain", "old.local")
	b.SetString(`ControlSet002\Services\Tcpip\Parameters`, "Domain", "contoso.local")
	return b
}

func TestOfflineCurrentControlSet(t *testing.T) {
	dir := t.TempDir()
	writeHive(t, dir, "Windows/System32/config/SYSTEM", systemHive(2))
	o := openOffline(t, dir)

	for _, key := range []string{
		`CurrentControlSet\Control\ComputerName\ComputerName`,
		`currentcontrolset\control\computername\computername`,
		`\CurrentControlSet\Control\ComputerName\ComputerName`,
	} {
		if got, err := o.String(System, key, "ComputerName"); err != nil || got != "EX02" {
			t.Errorf("String(%s) = %q, %v; want EX02 from ControlSet002 (Select\\Current = 2)", key, got, err)
		}
	}
	if got, err := o.String(System, `ControlSet001\Control\ComputerName\ComputerName`, "ComputerName"); err != nil || got != "OLDNAME" {
		t.Errorf("an explicit ControlSet001 = %q, %v; want OLDNAME", got, err)
	}
	subs, err := o.Subkeys(System, `CurrentControlSet\Services`)
	if err != nil || !slices.Equal(subs, []string{"Tcpip"}) {
		t.Errorf("Subkeys(CurrentControlSet\\Services) = %q, %v", subs, err)
	}
	// A key that merely starts with the alias's letters is not the alias.
	if got, err := o.String(System, `CurrentControlSetX\Control\ComputerName\ComputerName`, "ComputerName"); err != nil || got != "LITERAL" {
		t.Errorf("CurrentControlSetX = %q, %v; want LITERAL from the key of that name", got, err)
	}
}

func TestOfflineCurrentControlSetDefaultsToOne(t *testing.T) {
	dir := t.TempDir()
	b := systemHive(2)
	b.SetDWORD(`Select`, "Current", 0) // unreadable: nearly every system uses 001
	writeHive(t, dir, "Windows/System32/config/SYSTEM", b)
	o := openOffline(t, dir)
	if got, err := o.String(System, `CurrentControlSet\Control\ComputerName\ComputerName`, "ComputerName"); err != nil || got != "OLDNAME" {
		t.Errorf("with Select\\Current = 0: %q, %v; want OLDNAME from ControlSet001", got, err)
	}
}

func TestOfflineCorruptHive(t *testing.T) {
	dir := t.TempDir()
	junk := make([]byte, 64<<10)
	rand.New(rand.NewSource(1)).Read(junk)
	writeFile(t, dir, "Windows/System32/config/SOFTWARE", junk)
	o := openOffline(t, dir)

	if _, err := o.String(Software, `Microsoft\ExchangeServer\v15\Setup`, "MsiInstallPath"); !errors.Is(err, ErrNotFound) {
		t.Errorf("String from a corrupt hive: err = %v; want ErrNotFound", err)
	}
	if o.Present(Software) {
		t.Error("Present(SOFTWARE) = true for random bytes")
	}
	p := o.Problems()
	if len(p) != 1 || p[0].Path != "Windows/System32/config/SOFTWARE" || p[0].Err == nil || p[0].Note {
		t.Fatalf("Problems() = %+v; want one error for Windows/System32/config/SOFTWARE", p)
	}
	// The hive is opened once: reading again adds no second problem.
	o.String(Software, `Microsoft`, "X")
	if n := len(o.Problems()); n != 1 {
		t.Errorf("%d problems after a second read; want 1", n)
	}
}

func TestOfflineHiveTooLarge(t *testing.T) {
	dir := t.TempDir()
	data, err := softwareHive().Bytes()
	if err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(dir, "Windows", "System32", "config", "SOFTWARE")
	writeFile(t, dir, "Windows/System32/config/SOFTWARE", data)
	// A valid hive made sparse past the bound: only the size may stop it.
	if err := os.Truncate(full, maxHiveBytes+1); err != nil {
		t.Skipf("cannot make a sparse file of %d bytes: %v", maxHiveBytes+1, err)
	}
	o := openOffline(t, dir)
	if _, err := o.String(Software, `Microsoft\ExchangeServer\v15\Setup`, "MsiInstallPath"); !errors.Is(err, ErrNotFound) {
		t.Errorf("String from an oversized hive: err = %v; want ErrNotFound", err)
	}
	p := o.Problems()
	if len(p) != 1 || p[0].Note || p[0].Err == nil || !strings.Contains(p[0].Err.Error(), "larger") {
		t.Errorf("Problems() = %+v; want one error saying the hive is too large", p)
	}
}

func TestOfflineHiveIsFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "Windows", "System32", "config", "SOFTWARE", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	o := openOffline(t, dir)
	if _, err := o.String(Software, `Microsoft`, "X"); !errors.Is(err, ErrNotFound) {
		t.Errorf("String from a folder: err = %v; want ErrNotFound", err)
	}
	p := o.Problems()
	if len(p) != 1 || p[0].Path != "Windows/System32/config/SOFTWARE" || p[0].Err == nil || p[0].Note ||
		!strings.Contains(p[0].Err.Error(), "not a regular file") {
		t.Errorf("Problems() = %+v; want one error saying the folder is not a regular file", p)
	}
}

func TestOfflineDescribeNamesFileOnDisk(t *testing.T) {
	dir := t.TempDir()
	writeHive(t, dir, "windows/system32/CONFIG/software", softwareHive())
	o := openOffline(t, dir)
	if got, err := o.String(Software, `Microsoft\ExchangeServer\v15\Setup`, "MsiBuildMajor"); err != nil || got != "2176" {
		t.Errorf("through case-insensitive resolution: %q, %v; want 2176", got, err)
	}
	if got, want := o.Describe(Software), "registry hive windows/system32/CONFIG/software"; got != want {
		t.Errorf("Describe(SOFTWARE) = %q; want %q", got, want)
	}
	// An absent hive is described by where it would be.
	if got, want := o.Describe(System), "registry hive Windows/System32/config/SYSTEM"; got != want {
		t.Errorf("Describe(SYSTEM) = %q; want %q", got, want)
	}
}

func TestOfflineDirtyHiveIsNoted(t *testing.T) {
	dir := t.TempDir()
	data, err := softwareHive().Bytes()
	if err != nil {
		t.Fatal(err)
	}
	// Primary and secondary sequence numbers (offsets 4 and 8) differ in a
	// hive whose transaction logs were not applied; the checksum at 508
	// covers them.
	binary.LittleEndian.PutUint32(data[4:], binary.LittleEndian.Uint32(data[8:])+1)
	var sum uint32
	for i := 0; i < 508; i += 4 {
		sum ^= binary.LittleEndian.Uint32(data[i:])
	}
	binary.LittleEndian.PutUint32(data[508:], sum)
	writeFile(t, dir, "Windows/System32/config/SOFTWARE", data)
	o := openOffline(t, dir)
	if got, err := o.String(Software, `Microsoft\ExchangeServer\v15\Setup`, "MsiBuildMajor"); err != nil || got != "2176" {
		t.Errorf("a dirty hive is still read: %q, %v", got, err)
	}
	p := o.Problems()
	if len(p) != 1 || !p[0].Note || !strings.Contains(p[0].Err.Error(), "dirty") {
		t.Errorf("Problems() = %+v; want one note that the hive is dirty", p)
	}
}
