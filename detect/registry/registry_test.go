package registry

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

// TestEveryDetectorIsListed parses the detector packages and checks that
// every type with an Inspect or InspectFile method is in the lists, and that
// detector names are unique.
func TestEveryDetectorIsListed(t *testing.T) {
	listed := map[string]bool{}
	names := map[string]bool{}
	for _, d := range LogDetectors() {
		ty := reflect.TypeOf(d)
		listed[filepath.Base(ty.PkgPath())+"."+ty.Name()] = true
		if names[d.Name()] {
			t.Errorf("detector name %q used twice", d.Name())
		}
		names[d.Name()] = true
	}
	for _, d := range ServerDetectors() {
		ty := reflect.TypeOf(d)
		listed[filepath.Base(ty.PkgPath())+"."+ty.Name()] = true
		if names[d.Name()] {
			t.Errorf("detector name %q used twice", d.Name())
		}
		names[d.Name()] = true
	}
	for _, d := range FileDetectors() {
		ty := reflect.TypeOf(d)
		listed[filepath.Base(ty.PkgPath())+"."+ty.Name()] = true
		if names[d.Name()] {
			t.Errorf("detector name %q used twice", d.Name())
		}
		names[d.Name()] = true
	}

	var found []string
	for _, pkg := range detectorPackages(t) {
		for _, file := range pkg.Files {
			for _, decl := range file.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok || fn.Recv == nil || (fn.Name.Name != "Inspect" && fn.Name.Name != "InspectFile" && fn.Name.Name != "InspectServer") {
					continue
				}
				recv := fn.Recv.List[0].Type
				if star, ok := recv.(*ast.StarExpr); ok {
					recv = star.X
				}
				found = append(found, pkg.Name+"."+recv.(*ast.Ident).Name)
			}
		}
	}
	sort.Strings(found)
	if len(found) < 5 {
		t.Fatalf("found only %v: is the parse looking in the right place?", found)
	}
	for _, f := range found {
		if !listed[f] {
			t.Errorf("detector %s is not listed in registry.go", f)
		}
	}
}

// detectorPackages parses the non-test files of every package beside the
// registry.
func detectorPackages(t *testing.T) []*ast.Package {
	t.Helper()
	dirs, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	var out []*ast.Package
	for _, dir := range dirs {
		if !dir.IsDir() || dir.Name() == "registry" {
			continue
		}
		pkgs, err := parser.ParseDir(token.NewFileSet(), filepath.Join("..", dir.Name()), func(fi os.FileInfo) bool {
			return filepath.Ext(fi.Name()) == ".go" && !isTest(fi.Name())
		}, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, pkg := range pkgs {
			out = append(out, pkg)
		}
	}
	return out
}

func isTest(name string) bool { return len(name) > 8 && name[len(name)-8:] == "_test.go" }
