package psscript

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var updatePins = flag.Bool("update", false, "rewrite testdata/modelled-functions.txt from the script")

// pinsFile pins the text of every script function the Go model
// (simulate_test.go) stands in for.
const pinsFile = "testdata/modelled-functions.txt"

// TestModelFollowsTheScript: the behaviour tests run a Go model of the
// script, since no PowerShell runs here. A change to a modelled function of
// the script fails this test until its model is brought along and the pin
// renewed (go test ./collect/psscript -run TestModelFollowsTheScript -update).
func TestModelFollowsTheScript(t *testing.T) {
	model, err := os.ReadFile("simulate_test.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^// \w+ models ([A-Z][A-Za-z]+-[A-Za-z0-9]+)`).FindAllSubmatch(model, -1) {
		names = append(names, string(m[1]))
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) < 20 {
		t.Fatalf("only %d modelled functions found in simulate_test.go", len(names))
	}
	var pins strings.Builder
	for _, name := range names {
		body, ok := scriptFunction(scriptTemplate, name)
		if !ok {
			t.Errorf("the model stands in for %s, which the script no longer has", name)
			continue
		}
		sum := sha256.Sum256([]byte(body))
		pins.WriteString(name + " " + hex.EncodeToString(sum[:8]) + "\n")
	}
	if *updatePins {
		if err := os.MkdirAll(filepath.Dir(pinsFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pinsFile, []byte(pins.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	old, err := os.ReadFile(pinsFile)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(old)), "\n") {
		if name, sum, ok := strings.Cut(line, " "); ok {
			want[name] = sum
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(pins.String()), "\n") {
		name, sum, _ := strings.Cut(line, " ")
		if want[name] != sum {
			t.Errorf("the script's %s changed since its model was last checked: bring the model in simulate_test.go along, then renew the pin with -update", name)
		}
	}
}

// scriptFunction is the text of a top-level function of the script, from
// its "function" line to its closing brace at the line start.
func scriptFunction(script, name string) (string, bool) {
	start := strings.Index(script, "\nfunction "+name+" ")
	if start < 0 {
		if start = strings.Index(script, "\nfunction "+name+"("); start < 0 {
			return "", false
		}
	}
	rest := script[start+1:]
	end := strings.Index(rest, "\n}")
	if end < 0 {
		return "", false
	}
	return rest[:end+2], true
}
