package registry

import (
	"bytes"
	"flag"
	"go/ast"
	"os"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README's rule tables from the catalogue")

const (
	readme      = "../../README.md"
	tablesBegin = "<!-- rules:begin (made by `exhunt rules --format markdown`; go test ./detect/registry -update) -->\n"
	tablesEnd   = "<!-- rules:end -->\n"
)

// TestREADMERuleTables: the README's rule and CVE tables are the
// catalogue's, so a rule or a promised CVE cannot be documented without
// existing, nor exist undocumented.
func TestREADMERuleTables(t *testing.T) {
	data, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	i, j := strings.Index(text, tablesBegin), strings.Index(text, tablesEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the markers %q and %q", tablesBegin, tablesEnd)
	}
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	want := text[:i+len(tablesBegin)] + buf.String() + text[j:]
	if *update {
		if err := os.WriteFile(readme, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want != text {
		t.Errorf("README.md's rule tables differ from the catalogue; run go test ./detect/registry -update\n%s", buf.String())
	}
}

// TestEveryRuleCatalogued parses the detector packages and checks that
// every package-level finding.Rule is in the catalogue with a grading, and
// that rule ids are unique.
func TestEveryRuleCatalogued(t *testing.T) {
	inCatalogue := map[string]int{}
	for _, e := range Catalogue() {
		inCatalogue[e.Rule.ID]++
		if e.Rule.Grading == "" || e.Rule.Title == "" {
			t.Errorf("rule %s has no grading or title", e.Rule.ID)
		}
		if e.Check.ID == "" {
			t.Errorf("rule %s belongs to no check", e.Rule.ID)
		}
	}
	for id, n := range inCatalogue {
		if n > 1 {
			t.Errorf("rule %s is listed %d times", id, n)
		}
	}
	declared := 0
	for _, pkg := range detectorPackages(t) {
		ast.Inspect(packageFiles(pkg), func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			sel, ok := lit.Type.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Rule" {
				return true
			}
			for _, el := range lit.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "ID" {
					if v, ok := kv.Value.(*ast.BasicLit); ok {
						declared++
						id := strings.Trim(v.Value, "\"")
						if inCatalogue[id] == 0 {
							t.Errorf("rule %s (package %s) is not in the catalogue: list it in its detector's Rules()", id, pkg.Name)
						}
					}
				}
			}
			return true
		})
	}
	if declared < 15 {
		t.Fatalf("found only %d rule declarations: is the parse looking in the right place?", declared)
	}
}

// packageFiles joins a package's files under one node for ast.Inspect.
func packageFiles(pkg *ast.Package) ast.Node {
	var decls []ast.Decl
	for _, f := range pkg.Files {
		decls = append(decls, f.Decls...)
	}
	return &ast.File{Name: ast.NewIdent(pkg.Name), Decls: decls}
}

// TestCampaignCVEsAccountedFor: each CVE of the chain is checked by a
// check that exists, or named among the checks still to come.
func TestCampaignCVEsAccountedFor(t *testing.T) {
	for _, c := range Coverage() {
		if len(c.Checks) == 0 && len(c.Planned) == 0 {
			t.Errorf("%s is neither checked nor planned", c.CVE)
		}
	}
	for _, c := range Coverage() {
		if c.CVE == "CVE-2021-26857" && !slices.Contains(c.Checks, "cve-2021-26857-eventlog") {
			t.Errorf("CVE-2021-26857's Unified Messaging errors are not checked: %v", c.Checks)
		}
	}
}
