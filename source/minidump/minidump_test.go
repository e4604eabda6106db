package minidump

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/exhunt/exhunt/source/minidump/minidumptest"
)

// countingReader records the bytes asked of it.
type countingReader struct {
	r    *bytes.Reader
	read int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	c.read += int64(len(p))
	return c.r.ReadAt(p, off)
}

// readBytes runs Read on data and checks the read bound.
func readBytes(t testing.TB, data []byte) (*Dump, error) {
	t.Helper()
	cr := &countingReader{r: bytes.NewReader(data)}
	d, err := Read(cr, int64(len(data)))
	if cr.read > MaxRead {
		t.Fatalf("read %d bytes, more than MaxRead", cr.read)
	}
	if d != nil && len(d.Modules) > MaxModules {
		t.Fatalf("%d modules", len(d.Modules))
	}
	return d, err
}

var lsassModules = []string{
	`C:\Windows\System32\lsass.exe`,
	`C:\Windows\SYSTEM32\ntdll.dll`,
	`C:\Windows\System32\KERNEL32.DLL`,
	`C:\Windows\system32\lsasrv.dll`,
	`C:\Windows\system32\msv1_0.DLL`,
}

func TestRead(t *testing.T) {
	stamp := time.Date(2021, 3, 4, 1, 2, 3, 0, time.UTC)
	data := minidumptest.Build(minidumptest.Spec{
		Modules: lsassModules,
		System:  &minidumptest.System{ProcessorArchitecture: 9, Major: 10, Minor: 0, BuildNumber: 17763},
		Stamp:   uint32(stamp.Unix()),
		Other:   3,
	})
	d, err := readBytes(t, data)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(d.Modules, "|") != strings.Join(lsassModules, "|") {
		t.Errorf("modules %q", d.Modules)
	}
	if !d.HasModuleList || d.Version != 0xa793 || d.Streams != 5 || d.Flags != 2 || !d.Time.Equal(stamp) || len(d.Problems) != 0 {
		t.Errorf("dump %+v", d)
	}
	if d.System == nil || d.System.String() != "10.0.17763" || d.System.ProcessorArchitecture != 9 {
		t.Errorf("system %+v", d.System)
	}
	mods, err := Modules(bytes.NewReader(data), int64(len(data)))
	if err != nil || len(mods) != len(lsassModules) {
		t.Errorf("Modules: %q %v", mods, err)
	}
}

func TestReadVariants(t *testing.T) {
	t.Run("count padded to 8 bytes", func(t *testing.T) {
		d, err := readBytes(t, minidumptest.Build(minidumptest.Spec{Modules: lsassModules, PadCount: true}))
		if err != nil || strings.Join(d.Modules, "|") != strings.Join(lsassModules, "|") || len(d.Problems) != 0 {
			t.Errorf("%+v %v", d, err)
		}
	})
	t.Run("no module list", func(t *testing.T) {
		d, err := readBytes(t, minidumptest.Build(minidumptest.Spec{NoModules: true, Other: 2}))
		if err != nil || d.HasModuleList || len(d.Modules) != 0 || d.System != nil || !d.Time.IsZero() {
			t.Errorf("%+v %v", d, err)
		}
	})
	t.Run("empty module list", func(t *testing.T) {
		d, err := readBytes(t, minidumptest.Build(minidumptest.Spec{}))
		if err != nil || !d.HasModuleList || len(d.Modules) != 0 {
			t.Errorf("%+v %v", d, err)
		}
	})
	t.Run("names outside the basic plane", func(t *testing.T) {
		d, err := readBytes(t, minidumptest.Build(minidumptest.Spec{Modules: []string{`C:\Ünïcode\𝔁.dll`}}))
		if err != nil || len(d.Modules) != 1 || d.Modules[0] != `C:\Ünïcode\𝔁.dll` {
			t.Errorf("%q %v", d.Modules, err)
		}
	})
}

func TestNotMinidump(t *testing.T) {
	for _, data := range []string{"", "MDM", "PK\x03\x04 an archive", "mdmp lower case", "\x00MDMP"} {
		if _, err := readBytes(t, []byte(data)); !errors.Is(err, ErrNotMinidump) {
			t.Errorf("%q: %v", data, err)
		}
	}
	if IsMinidump([]byte("MDM")) || !IsMinidump([]byte("MDMP")) {
		t.Error("IsMinidump")
	}
}

// TestTruncated reads every prefix of a valid dump: the header and
// directory must be whole, after that what can be read is read.
func TestTruncated(t *testing.T) {
	data := minidumptest.Build(minidumptest.Spec{Modules: lsassModules, System: &minidumptest.System{Major: 6, Minor: 3, BuildNumber: 9600}})
	dirEnd := headerSize + 2*directorySize
	for n := 0; n < len(data); n++ {
		d, err := readBytes(t, data[:n])
		switch {
		case n < len(Signature):
			if !errors.Is(err, ErrNotMinidump) {
				t.Fatalf("%d bytes: %v", n, err)
			}
		case n < dirEnd:
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%d bytes: %v", n, err)
			}
		case n >= len(data)-2: // only the last name's terminating null is cut
			if err != nil || len(d.Modules) != len(lsassModules) || len(d.Problems) != 0 {
				t.Fatalf("%d bytes: %q %q %v", n, d.Modules, d.Problems, err)
			}
		default:
			if err != nil {
				t.Fatalf("%d bytes: %v", n, err)
			}
			if len(d.Modules) == len(lsassModules) || len(d.Problems) == 0 {
				t.Fatalf("%d bytes: %d modules, problems %q", n, len(d.Modules), d.Problems)
			}
		}
	}
}

// patch returns a copy of data with a 32-bit value written at off.
func patch(data []byte, off int, v uint32) []byte {
	out := bytes.Clone(data)
	binary.LittleEndian.PutUint32(out[off:], v)
	return out
}

func TestHostile(t *testing.T) {
	good := minidumptest.Build(minidumptest.Spec{Modules: lsassModules})
	listRVA := binary.LittleEndian.Uint32(good[headerSize+8:])
	firstName := binary.LittleEndian.Uint32(good[int(listRVA)+4+moduleNameRVA:])

	t.Run("huge stream count", func(t *testing.T) {
		d, err := readBytes(t, patch(good, 8, 0xffffffff))
		if !errors.Is(err, ErrCorrupt) || d == nil || len(d.Problems) == 0 {
			t.Errorf("%+v %v", d, err)
		}
	})
	t.Run("directory outside the file", func(t *testing.T) {
		if _, err := readBytes(t, patch(good, 12, 0xfffffff0)); !errors.Is(err, ErrCorrupt) {
			t.Error(err)
		}
	})
	t.Run("huge module count", func(t *testing.T) {
		d, err := readBytes(t, patch(good, int(listRVA), 0xffffffff))
		if err != nil || len(d.Modules) != len(lsassModules) || len(d.Problems) != 1 {
			t.Errorf("%q %q %v", d.Modules, d.Problems, err)
		}
	})
	t.Run("module list size past the file", func(t *testing.T) {
		d, err := readBytes(t, patch(patch(good, headerSize+4, 0xfffffff0), int(listRVA), 1000))
		if err != nil || len(d.Modules) != 0 || len(d.Problems) == 0 {
			t.Errorf("%q %q %v", d.Modules, d.Problems, err)
		}
	})
	t.Run("module list outside the file", func(t *testing.T) {
		d, err := readBytes(t, patch(good, headerSize+8, 0xfffffff0))
		if err != nil || len(d.Modules) != 0 || len(d.Problems) != 1 {
			t.Errorf("%q %q %v", d.Modules, d.Problems, err)
		}
	})
	t.Run("name length past the file", func(t *testing.T) {
		d, err := readBytes(t, patch(good, int(firstName), 0xffffffff))
		if err != nil || len(d.Modules) != len(lsassModules)-1 || len(d.Problems) != 1 {
			t.Errorf("%q %q %v", d.Modules, d.Problems, err)
		}
	})
	t.Run("name outside the file", func(t *testing.T) {
		d, err := readBytes(t, patch(good, int(listRVA)+4+moduleNameRVA, 0xffffff00))
		if err != nil || len(d.Modules) != len(lsassModules)-1 || d.Modules[0] != lsassModules[1] {
			t.Errorf("%q %q %v", d.Modules, d.Problems, err)
		}
	})
	t.Run("odd name length", func(t *testing.T) {
		d, err := readBytes(t, patch(good, int(firstName), 7))
		if err != nil || d.Modules[0] != `C:\` {
			t.Errorf("%q %v", d.Modules, err)
		}
	})
	t.Run("long name keeps its end", func(t *testing.T) {
		long := strings.Repeat(`\x`, 3000) + `\lsasrv.dll`
		d, err := readBytes(t, minidumptest.Build(minidumptest.Spec{Modules: []string{long}}))
		if err != nil || len(d.Modules) != 1 || len(d.Modules[0]) != MaxNameBytes/2 || !strings.HasSuffix(d.Modules[0], `\lsasrv.dll`) {
			t.Errorf("%d %v", len(d.Modules), err)
		}
	})
	t.Run("read limit", func(t *testing.T) {
		// Every module names the same long string: the names alone
		// would need far more than MaxRead.
		mods := make([]string, MaxModules)
		for i := range mods {
			mods[i] = strings.Repeat("a", MaxNameBytes)
		}
		data := minidumptest.Build(minidumptest.Spec{Modules: mods})
		d, err := readBytes(t, data)
		if err != nil || len(d.Modules) == 0 || len(d.Modules) == MaxModules || !strings.Contains(strings.Join(d.Problems, ";"), "read limit") {
			t.Errorf("%d modules, problems %q, %v", len(d.Modules), d.Problems, err)
		}
	})
	t.Run("many problems are capped", func(t *testing.T) {
		d := &Dump{}
		for i := 0; i < 100; i++ {
			d.problem("p%d", i)
		}
		if len(d.Problems) != maxProblems+1 {
			t.Errorf("%d problems", len(d.Problems))
		}
	})
}

func FuzzModules(f *testing.F) {
	f.Add(minidumptest.Build(minidumptest.Spec{Modules: lsassModules, System: &minidumptest.System{Major: 10, BuildNumber: 17763}}))
	f.Add(minidumptest.Build(minidumptest.Spec{Modules: []string{`C:\Windows\System32\w3wp.exe`}, PadCount: true, Other: 2}))
	f.Add(minidumptest.Build(minidumptest.Spec{NoModules: true}))
	f.Add([]byte("MDMP"))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := readBytes(t, data)
		if err != nil {
			if !errors.Is(err, ErrNotMinidump) && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error of no known kind: %v", err)
			}
			return
		}
		if !IsMinidump(data) {
			t.Fatal("read a file without the signature")
		}
		for _, m := range d.Modules {
			if len(m) > 3*MaxNameBytes/2 {
				t.Fatalf("name of %d bytes", len(m))
			}
		}
		if len(d.Problems) > maxProblems+1 {
			t.Fatalf("%d problems", len(d.Problems))
		}
	})
}
