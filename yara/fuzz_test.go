package yara

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// FuzzCompileScan checks that hostile rules and data never panic.
func FuzzCompileScan(f *testing.F) {
	f.Add(featureRules, []byte("ABCDabcd"))
	f.Add(`rule r { strings: $a = { 41 [1-3] 42 } $b = /a.{1,3}b/ condition: #a > @b[1] or !a[2] == 3 }`, []byte("AxxBaxxb"))
	f.Add(`import "math" rule r { condition: math.entropy(filesize, -1) > 1 or uint32be(filesize - 4) << 70 == 0 }`, []byte{})
	f.Add(`rule r { condition: for all i in (0..10) : (for any j in (i..3) : (j \ (i - 2) == 1)) }`, []byte("x"))
	f.Fuzz(func(t *testing.T, rules string, data []byte) {
		rs, err := Compile(Source{Name: "f.yar", Data: []byte(rules)})
		if err != nil {
			return
		}
		vars := map[string]any{}
		for _, n := range rs.Externals() {
			vars[n] = 1
		}
		rs.Scan(data, vars)
	})
}

// peFuzzRules use every value and function of the pe module, over the
// first items of every array and over all of them in loops.
var peFuzzRules = func() string {
	var b strings.Builder
	b.WriteString("import \"pe\"\n")
	n := 0
	rule := func(cond string) {
		fmt.Fprintf(&b, "rule r%d { condition: %s }\n", n, cond)
		n++
	}
	for _, x := range peExprs(nil) {
		rule("defined (" + x + ")")
	}
	for i := range 4 {
		for _, f := range []string{"name", "full_name", "characteristics", "virtual_address", "virtual_size", "raw_data_offset",
			"raw_data_size", "pointer_to_relocations", "pointer_to_line_numbers", "number_of_relocations", "number_of_line_numbers"} {
			rule(fmt.Sprintf("defined pe.sections[%d].%s", i, f))
		}
		for _, f := range []string{"offset", "name", "forward_name", "ordinal"} {
			rule(fmt.Sprintf("defined pe.export_details[%d].%s", i, f))
		}
		for _, f := range []string{"rva", "offset", "length", "type", "id", "language", "type_string", "name_string", "language_string"} {
			rule(fmt.Sprintf("defined pe.resources[%d].%s", i, f))
		}
		rule(fmt.Sprintf("defined pe.import_details[%d].library_name and pe.import_details[%d].functions[%d].name != \"\" and defined pe.import_details[0].functions[%d].ordinal", i, i, i, i))
		rule(fmt.Sprintf("pe.data_directories[%d].virtual_address > 0 and pe.version_info_list[%d].key != \"\"", i, i))
	}
	for _, c := range []string{
		"for any s in pe.sections : (s.name == \".text\" or s.full_name == \"x\" or pe.section_index(s.name) == 1 or pe.section_index(s.raw_data_offset) == 0)",
		"for all d in pe.import_details : (for any f in d.functions : (f.name == d.library_name or f.ordinal == 1))",
		"for any e in pe.export_details : (e.name == e.forward_name or e.ordinal == e.offset)",
		"for any r in pe.resources : (r.language == r.id or r.type_string == r.name_string or r.offset == r.rva)",
		"for any k, v in pe.version_info : (pe.version_info[k] == v)",
		"for any e in pe.version_info_list : (e.key == e.value)",
		"for any d in pe.data_directories : (pe.rva_to_offset(d.virtual_address) >= 0)",
		"pe.imports(pe.import_details[0].library_name, pe.import_details[0].functions[0].name) and pe.imports(pe.import_details[1].library_name, 1)",
		"pe.exports(pe.export_details[0].name) or pe.exports(pe.export_details[1].ordinal) or pe.exports_index(pe.export_details[2].name) == 1",
		"pe.locale(pe.resources[0].language) or pe.language(pe.resources[1].language)",
		"pe.imports(/a/, /b/i) > 1 or pe.exports(/^x/) or pe.exports_index(/./) == 0",
	} {
		rule(c)
	}
	return b.String()
}()

var (
	peFuzzOnce  sync.Once
	peFuzzRS    *Rules
	peFuzzError error
)

// FuzzPE parses arbitrary bytes as a PE file, evaluates every value of the
// pe module on them, and checks that nothing panics and that it takes
// bounded time. The seeds are PE files of a few KiB, which Go's fuzzer
// takes long to minimize: run it with -fuzzminimizetime=1x.
func FuzzPE(f *testing.F) {
	for _, name := range []string{"imports64", "imports32", "exports64", "exports32", "flat32", "sections64", "version64",
		"version_nofixed32", "rsrc_level0", "rsrc_bad", "opt64_size224", "many_sections", "lfanew_negative"} {
		f.Add(handMadePEs()[name])
	}
	f.Add([]byte("MZ"))
	f.Fuzz(func(t *testing.T, data []byte) {
		peFuzzOnce.Do(func() {
			peFuzzRS, peFuzzError = Compile(Source{Name: "pe.yar", Data: []byte(peFuzzRules)})
		})
		if peFuzzError != nil {
			t.Fatal(peFuzzError)
		}
		start := time.Now()
		if _, err := peFuzzRS.Scan(data, nil); err != nil {
			t.Fatal(err)
		}
		if p := parsePE(data); p != nil {
			p.parseImports()
			p.parseExports()
			p.parseResources()
			p.imphashValue()
			p.checksumValue()
			for i := range p.secs {
				p.sectionFullName(i)
			}
			for _, rva := range []uint64{0, 1, 0x1000, 0xffffffff, 1 << 40, 1<<64 - 1} {
				p.rvaToOffset(rva)
			}
			if p.work > 2*maxPEWork {
				t.Errorf("work %d beyond the budget", p.work)
			}
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%d bytes took %v", len(data), d)
		}
	})
}
