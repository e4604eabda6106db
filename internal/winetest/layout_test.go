//go:build linux

package winetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/exhunt/exhunt/testserver"
	"github.com/exhunt/exhunt/winreg"
)

// server is a synthetic attacked Exchange server (package testserver)
// installed on the machine: its files on C: beside Wine's own (the
// generator's Windows folder merged into Wine's windows folder) and on D:,
// and its registry, which the generator writes as hive files, written into
// Wine's registry as well, where the live scan reads it.
type server struct {
	m   *machine
	man *testserver.Manifest
	// created are the host paths the install made, in the order made.
	created []string
}

// install generates the server with opt and installs it. opt's VolumeDir
// is set to D: when Exchange is put on another volume. It is removed when
// the test ends; an install replaces the registry values of the one
// before (every layout writes the same values, from the generator's hives).
func (m *machine) install(t *testing.T, opt testserver.Options) *server {
	t.Helper()
	stage := t.TempDir()
	if opt.ExchangeVolume != "" {
		if !strings.EqualFold(opt.ExchangeVolume, string(rune(letterD))) {
			t.Fatalf("the machine's other volume is D:, not %s:", opt.ExchangeVolume)
		}
		opt.VolumeDir = m.driveD
	}
	s := &server{m: m}
	t.Cleanup(func() { s.uninstall(t) })
	if entries, _ := os.ReadDir(m.driveD); len(entries) > 0 {
		t.Fatalf("D: (%s) is not empty: %d entries left by another layout", m.driveD, len(entries))
	}
	man, err := testserver.Generate(stage, opt)
	if err != nil {
		t.Fatal(err)
	}
	s.man = man
	if entries, err := os.ReadDir(m.driveD); err == nil {
		for _, e := range entries {
			s.created = append(s.created, filepath.Join(m.driveD, e.Name()))
		}
	}
	reg, err := registryFile(stage)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.merge(stage, m.driveC); err != nil {
		t.Fatal(err)
	}
	if reg == nil {
		return s
	}
	// One reg import instead of a reg add per value: each Wine program
	// costs about half a second.
	regFile := filepath.Join(m.share, "server.reg")
	if err := os.WriteFile(regFile, reg, 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(regFile)
	out, err := m.run(time.Minute, m.share, m.loader, "reg", "import", m.winPath(regFile))
	if err != nil || out.code != 0 {
		t.Fatalf("wine reg import: exit %d, %v\n%s%s", out.code, err, out.stdout, out.stderr)
	}
	return s
}

// merge moves the generated tree src into dst, folder names matched
// without case as Windows matches them (the generator's Windows\System32
// is Wine's windows\system32), and records what it made. A generated file
// that Wine already has would be evidence mixed with Wine's: an error.
func (s *server) merge(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	existing, err := os.ReadDir(dst)
	if err != nil {
		return err
	}
	for _, e := range entries {
		i := slices.IndexFunc(existing, func(x fs.DirEntry) bool { return strings.EqualFold(x.Name(), e.Name()) })
		if i < 0 {
			to := filepath.Join(dst, e.Name())
			if err := os.Rename(filepath.Join(src, e.Name()), to); err != nil {
				return err
			}
			s.created = append(s.created, to)
			continue
		}
		if !e.IsDir() || !existing[i].IsDir() {
			return fmt.Errorf("the generated %s is already in Wine's drive C: as %s", filepath.Join(src, e.Name()), filepath.Join(dst, existing[i].Name()))
		}
		if err := s.merge(filepath.Join(src, e.Name()), filepath.Join(dst, existing[i].Name())); err != nil {
			return err
		}
	}
	return nil
}

// addFile adds a file to the server at rel, a slash path on C: whose
// folders below the existing ones are made for it, modified at mod. NTFS
// keeps times to 100 ns, Linux to 1 ns: a time of now would differ
// between the two binaries' views of the same file.
func (s *server) addFile(t *testing.T, rel string, data []byte, mod time.Time) {
	t.Helper()
	dir := s.m.driveC
	parts := strings.Split(rel, "/")
	for _, p := range parts[:len(parts)-1] {
		dir = filepath.Join(dir, p)
		if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			s.created = append(s.created, dir)
		}
	}
	file := filepath.Join(dir, parts[len(parts)-1])
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s.created = append(s.created, file)
	if err := os.Chtimes(file, mod, mod); err != nil {
		t.Fatal(err)
	}
}

// uninstall removes the server's files from the drives.
func (s *server) uninstall(t *testing.T) {
	for i := len(s.created) - 1; i >= 0; i-- {
		if err := os.RemoveAll(s.created[i]); err != nil {
			t.Errorf("removing the layout: %v", err)
		}
	}
	s.created = nil
}

// registryFile turns the generated SOFTWARE and SYSTEM hives into a .reg
// file of every value in them, for Wine's registry (nil when the generator
// wrote no hives: Options.Hive unset). Wine keeps
// HKLM\SYSTEM\CurrentControlSet as a key of its own rather than a link to
// the ControlSet00N that Select\Current names, so that control set's values
// are written under CurrentControlSet, and the other control sets are left
// out.
func registryFile(dir string) ([]byte, error) {
	var b strings.Builder
	b.WriteString("Windows Registry Editor Version 5.00\r\n")
	for _, hive := range []string{"SOFTWARE", "SYSTEM"} {
		data, err := os.ReadFile(filepath.Join(dir, "Windows", "System32", "config", hive))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		h, err := winreg.Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, fmt.Errorf("%s hive: %w", hive, err)
		}
		rootKey, err := h.Root()
		if err != nil {
			return nil, err
		}
		current := ""
		if hive == "SYSTEM" {
			sel, err := h.OpenKey("Select")
			if err != nil {
				return nil, err
			}
			v, err := sel.Value("Current")
			if err != nil {
				return nil, err
			}
			n, err := v.Uint64()
			if err != nil {
				return nil, err
			}
			current = fmt.Sprintf("ControlSet%03d", n)
		}
		var walk func(k *winreg.Key, path string) error
		walk = func(k *winreg.Key, path string) error {
			values, err := k.Values()
			if err != nil {
				return err
			}
			if len(values) > 0 {
				fmt.Fprintf(&b, "\r\n[HKEY_LOCAL_MACHINE\\%s]\r\n", path)
				for _, v := range values {
					line, err := regLine(v)
					if err != nil {
						return fmt.Errorf("%s\\%s: %w", path, v.Name(), err)
					}
					b.WriteString(line)
				}
			}
			subs, err := k.Subkeys()
			if err != nil {
				return err
			}
			for _, sub := range subs {
				name := sub.Name()
				if hive == "SYSTEM" && path == hive {
					switch {
					case strings.EqualFold(name, current):
						name = "CurrentControlSet"
					case strings.EqualFold(name, "Select"), len(name) == len("ControlSet001") && strings.HasPrefix(strings.ToLower(name), "controlset"):
						continue
					}
				}
				if err := walk(sub, path+`\`+name); err != nil {
					return err
				}
			}
			return nil
		}
		if err := walk(rootKey, hive); err != nil {
			return nil, fmt.Errorf("%s hive: %w", hive, err)
		}
	}
	// The .reg format of version 5 is UTF-16LE with a byte order mark.
	units := utf16.Encode([]rune("\ufeff" + b.String()))
	out := make([]byte, 0, 2*len(units))
	for _, u := range units {
		out = binary.LittleEndian.AppendUint16(out, u)
	}
	return out, nil
}

// regLine is one value as a line of a .reg file: strings quoted, DWORDs as
// dword:, anything else as hex(type) bytes.
func regLine(v *winreg.Value) (string, error) {
	name := `@`
	if v.Name() != "" {
		name = regQuote(v.Name())
	}
	data, err := v.Data()
	if err != nil {
		return "", err
	}
	switch v.Type() {
	case winreg.RegSZ:
		if s, err := v.String(); err == nil && !strings.ContainsAny(s, "\r\n\x00") {
			return name + "=" + regQuote(s) + "\r\n", nil
		}
	case winreg.RegDWORD:
		if len(data) == 4 {
			return fmt.Sprintf("%s=dword:%08x\r\n", name, binary.LittleEndian.Uint32(data)), nil
		}
	}
	hex := make([]string, len(data))
	for i, c := range data {
		hex[i] = fmt.Sprintf("%02x", c)
	}
	return fmt.Sprintf("%s=hex(%x):%s\r\n", name, uint32(v.Type()), strings.Join(hex, ",")), nil
}

func regQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// snapshot is what a tree holds: each entry's type, size, modification
// time and, for the files of the server's layout, content hash.
type snapshot map[string]string

// snapshot records the machine's drives C: and D: (symlinks not followed).
// Wine's own files on C: (700 MB) are listed, not hashed.
func (s *server) snapshot(t *testing.T) snapshot {
	t.Helper()
	snap := snapshot{}
	hashed := func(p string) bool {
		return slices.ContainsFunc(s.created, func(c string) bool { return p == c || strings.HasPrefix(p, c+"/") })
	}
	for _, dir := range []string{s.m.driveC, s.m.driveD} {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			desc := fmt.Sprintf("%v %d %s", info.Mode(), info.Size(), info.ModTime().UTC().Format(time.RFC3339Nano))
			if info.Mode().IsRegular() && hashed(p) {
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				desc += fmt.Sprintf(" %x", sha256.Sum256(data))
			}
			snap[p] = desc
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return snap
}

// changes lists what differs from an earlier snapshot.
func (s snapshot) changes(before snapshot) []string {
	var out []string
	for p, d := range before {
		switch now, ok := s[p]; {
		case !ok:
			out = append(out, "removed: "+p)
		case now != d:
			out = append(out, fmt.Sprintf("changed: %s (%s, was %s)", p, now, d))
		}
	}
	for p := range s {
		if _, ok := before[p]; !ok {
			out = append(out, "added: "+p)
		}
	}
	slices.Sort(out)
	return out
}
