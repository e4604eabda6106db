//go:build linux

package winetest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exhunt/exhunt/testserver"
)

// TestCommands runs the commands other than scan with both binaries on the
// same inputs and requires the same output. Paths in the output are the
// ones given, with each system's separator: `samples\sub\a.aspx` under
// Windows is `samples/sub/a.aspx` on Linux.
func TestCommands(t *testing.T) {
	m := wine(t)
	work := filepath.Join(m.share, "commands")
	t.Cleanup(func() { os.RemoveAll(work) })
	files := map[string]string{
		"rules.yar": `rule sample_page { strings: $a = "Exhunt-Sample" nocase condition: $a }
rule wide_marker { strings: $w = "exhunt-marker" wide ascii condition: $w }
`,
		"samples/a.aspx":          `<%@ Page Language="C#" %><%-- EXHUNT-SAMPLE page --%>`,
		"samples/clean.txt":       "nothing to see\r\n",
		"samples/sub/b.aspx":      "<% // exhunt-sample, lower case %>",
		"samples/sub/marker.bin":  "e\x00x\x00h\x00u\x00n\x00t\x00-\x00m\x00a\x00r\x00k\x00e\x00r\x00",
		"samples/sub/deeper/c.js": "exhunt-marker",
	}
	for name, data := range files {
		p := filepath.Join(work, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Event logs as the generator writes them, copied beside the rules.
	gen := t.TempDir()
	if _, err := testserver.Generate(gen, testserver.DemoOptions()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Security.evtx", "MSExchange Management.evtx"} {
		data, err := os.ReadFile(filepath.Join(gen, "Windows", "System32", "winevt", "Logs", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// yara prints "RULE PATH" lines, and with -s the strings found under
	// each ("0x0:$a: ..."), which keep their backslashes.
	yaraPaths := func(s string) string {
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			if rule, p, ok := strings.Cut(l, " "); ok && !strings.HasPrefix(l, "0x") {
				lines[i] = rule + " " + strings.ReplaceAll(p, `\`, "/")
			}
		}
		return strings.Join(lines, "\n")
	}
	runs := []struct {
		args []string
		// normalize maps the Windows output to the Linux one where they
		// legitimately differ.
		normalize func(string) string
	}{
		{args: []string{"version"}, normalize: func(s string) string { return strings.Replace(s, "windows/amd64", "linux/amd64", 1) }},
		{args: []string{"rules", "--format", "json"}},
		{args: []string{"rules", "--format", "markdown"}},
		{args: []string{"build", "--format", "json", "15.1.2176.2"}},
		{args: []string{"build", "15.01.2176.009"}},
		{args: []string{"mitigate", "--script"}},
		{args: []string{"indicators", "--format", "json"}},
		{args: []string{"yara", "-p", "1", "-s", "commands/rules.yar", "commands/samples"}, normalize: yaraPaths},
		{args: []string{"evtx", "--format", "jsonl", "commands/Security.evtx", "commands/MSExchange Management.evtx"}},
		{args: []string{"evtx", "--format", "xml", "commands/Security.evtx"}},
	}
	for _, r := range runs {
		t.Run(strings.Join(r.args, " "), func(t *testing.T) {
			linux, windows := m.both(t, r.args...)
			if len(linux.stdout) == 0 || linux.code != 0 {
				t.Fatalf("exhunt %s: exit %d, %d bytes of output; stderr: %s", strings.Join(r.args, " "), linux.code, len(linux.stdout), linux.stderr)
			}
			if r.normalize != nil {
				// Only the Windows side has anything to map.
				windows.stdout = []byte(r.normalize(string(windows.stdout)))
			}
			if d := sameOutput(linux, windows); d != "" {
				t.Errorf("exhunt %s: the Windows binary differs:\n%s", strings.Join(r.args, " "), d)
			}
		})
	}
}
