package yara

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// checkConds are conditions yara 4.2 rejects (true) or accepts (false).
var checkConds = map[string]bool{
	`filesize % (-0) == 1`:                   true,
	`filesize \ 0 == 1`:                      true,
	`filesize \ 0.0 == 1`:                    false,
	`uint8(10) << -4 == 0`:                   true,
	`1 >> (0 - 1) == 0`:                      true,
	`1 >> (filesize - 9) == 0`:               false,
	`"a" + 1 == 2`:                           true,
	`1.5 % 2 == 1`:                           true,
	`"a" == 1`:                               true,
	`filesize contains "a"`:                  true,
	`1 matches /a/`:                          true,
	`math.foo(1) == 1`:                       true,
	`math.entropy(1) == 1.0`:                 true,
	`math.deviation(0, filesize, 64) > 1.0`:  true,
	`math.in_range(1, 0, 2)`:                 true,
	`uint8("a") == 1`:                        true,
	`uint8(1.0) == 1`:                        true,
	`not "abc"`:                              false,
	`"abc"`:                                  false,
	`1.0`:                                    false,
	`filesize`:                               false,
	`hash.md5(0,1) == 1`:                     true,
	`1 \ 0 == 0`:                             true,
	`1 % 0 == 1`:                             true,
	`0x7fffffffffffffff + 1 > 0`:             true,
	`-0x7fffffffffffffff - 2 < 0`:            true,
	`(1 \ 0) + filesize > 0`:                 true,
	`0x4000000000000000 * 2 > 0`:             true,
	`0x4000000000000000 * -2 < 0`:            true,
	`0x2000000000000000 * -2 < 0`:            false,
	`-0x7fffffffffffffff - 1 < 0`:            false,
	`math.to_number(1) == 1`:                 true,
	`math.abs(1.5) == 1`:                     true,
	`1 << 1.0 == 2`:                          true,
	`"a" < "b"`:                              false,
	`true and 1`:                             false,
	`-"a" == 1`:                              true,
	`~1.0 == 1`:                              true,
	`math.entropy(0, 1.0) > 1`:               true,
	`1.0 \ 0 > 0`:                            false,
	`1 \ 0.0 > 0`:                            false,
	`for any i in (1.0..2) : (true)`:         true,
	`for any i in ("a", "b") : (i == "a")`:   true,
	`for any i in (1, "b") : (true)`:         true,
	`math.to_number(filesize > 1) == 1`:      false,
	`hash.crc32("a") == 0xe8b7be43`:          false,
	`math.mode() == 0 and math.count(1) > 0`: false,
	`for any i in (1, 2) : (i + 1 == 3)`:     false,
	`for any i in (1, 2) : (i contains "a")`: true,
	`(1 << 2) \ (3 - 3) == 0`:                true,

	`pe.imports("a.dll", "b")`:                                       false,
	`pe.imports(1)`:                                                  true,
	`pe.imports("a", 1.0)`:                                           true,
	`pe.imports(pe.IMPORT_ANY, /a/, /b/) > 0`:                        false,
	`pe.nosuch == 1`:                                                 true,
	`pe.sections == 1`:                                               true,
	`pe.sections[0] == 1`:                                            true,
	`pe.sections["a"].name == "x"`:                                   true,
	`pe.sections[0].name.x == 1`:                                     true,
	`pe.version_info[1] == "x"`:                                      true,
	`pe.version_info["a"] == 1`:                                      true,
	`pe.machine == "x"`:                                              true,
	`pe.is_dll == 1`:                                                 true,
	`pe.DLL == 0x2000 and pe.imphash() == "x"`:                       false,
	`pe.exports(/a/) and pe.section_index(".text") == 0`:             false,
	`pe.exports(1.5)`:                                                true,
	`for any s in pe.sections : (s.name == ".text")`:                 false,
	`for any k, v in pe.version_info : (k == v)`:                     false,
	`for any s in pe.version_info : (true)`:                          true,
	`for any a, b in pe.sections : (true)`:                           true,
	`for any s in pe.sections : (s.nosuch == 1)`:                     true,
	`for any d in pe.import_details : (d.functions[0].ordinal == 1)`: false,
	`for any i in (1, 2) : (i.x == 1)`:                               true,
}

func TestCheckAgainstYara(t *testing.T) {
	yaraBin, _ := exec.LookPath("yara")
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o644)
	for cond, wantErr := range checkConds {
		src := "import \"math\"\nimport \"hash\"\nimport \"pe\"\nrule r { condition: " + cond + " }\n"
		_, err := Compile(Source{Name: "c.yar", Data: []byte(src)})
		if (err != nil) != wantErr {
			t.Errorf("%s: error %v, want error %v", cond, err, wantErr)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "c.yar:4: ") {
			t.Errorf("%s: error %q does not name c.yar:4", cond, err)
		}
		if yaraBin != "" {
			f := filepath.Join(dir, "c.yar")
			os.WriteFile(f, []byte(src), 0o644)
			out, yerr := exec.Command(yaraBin, "-w", f, empty).CombinedOutput()
			if (yerr != nil) != wantErr {
				t.Errorf("%s: yara says %q, table says error %v", cond, out, wantErr)
			}
		}
	}
}
