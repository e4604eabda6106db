// Package yara is the entry point of exhunt's YARA-compatible engine, in
// pure Go. Compile turns rule sources into *Rules, using yara/syntax for
// the rule language, yara/re and yara/hex for regular expressions and hex
// strings and yara/atoms for text strings and the literal prefilter;
// Rules.Scan evaluates them over a byte slice with the semantics of
// Debian's yara 4.2.3, against which the tests compare it.
//
// # Compiling
//
// Several sources compile as one namespace, "default": a rule may
// reference the rules before it, in its own or an earlier source.
// CompileFiles reads rules files from disk and follows their include
// directives as yara does: a relative name is taken from the including
// file's folder, included files nest up to 16 deep, and a file that
// includes itself, directly or not, is an error ("includes circular
// reference"), as is one that cannot be read; Compile refuses includes,
// and CompileOptions takes any Include function. Errors name file:line; a string that
// yara/re, yara/hex or yara/atoms rejects is named too ("f.yar:3: string
// $a: …"). Compile also reports what yara's compiler reports beyond the
// syntax: type mismatches, wrong operand types, unknown math and hash
// functions and wrong arguments to them, and division by zero or integer
// overflow between constants.
//
// # Matching
//
// The literals of all text strings (atoms.Expand) and the atoms of all
// regular expressions and hex strings go into one atoms.Matcher, which
// looks for a window of at most four bytes of each (its atom) through two
// bitmaps and verifies the whole literal where the atom is. A text
// string's matches are its verified literal hits. A hex string whose atoms
// lie at fixed offsets is verified only at hit - offset; a regular
// expression only at the starts its atom's offsets from the match start
// allow (yara/re tells them: one start when the atom is a prefix, a
// window before the atom when it follows a repeat) and that lie within
// its longest possible match before the atom's end (re.MaxLen, at most
// 4096 bytes, yara's limit); a hex string of bounded length only at the
// starts within one maximal match length before its atom hits; other hex
// strings with atoms are searched in the whole data once an atom is seen;
// strings without atoms are always searched in the whole data. Identical
// strings of different rules are searched once. A string's matches are sorted by
// offset, one per offset, at most 1,000,000; StringMatch.Data holds at
// most 512 bytes. As in yara, a string the condition uses only as
// "$a at N" with one constant N keeps only its match at N.
//
// A rule whose condition cannot be true unless one of some strings
// matched (as "$a and …", "any of them", "#a > 2", or a reference to such
// a rule) is false without being evaluated when none did.
//
// # Limits
//
// Hostile rules and data are bounded. A regular expression compiles to at
// most 65,536 instructions (yara accepts larger ones, such as
// (a{0,1000}){0,1000}, and takes minutes a megabyte on them). The regular
// expressions and hex strings of a scan spend at most ScanStepsBase plus
// ScanStepsPerByte steps for each byte (a thread of the regular
// expression machine, an offset tried in a part of a hex string, a step of
// the walk of a part with alternatives counting for hex.WalkStepCost); a
// scan that needs more stops searching there and returns the rules that
// match on the string matches found until then, with an error naming the
// string that wraps re.ErrTooSlow (matches may be missing): some
// seconds a megabyte at most, where yara 4.2 takes 52 s for 1 MB with
// /.{0,600}x/ and 17 s for 256 KB with /a.*x/ on data dense with their
// atoms (the first is within the budget, the second is not). Hex strings
// without literals, such as { ?? ?? [-] ?? }, are accepted, as yara
// accepts them; their search keeps a bounded number of offsets, whatever
// the size of the data, and stops at the 1,000,000th match.
//
// # Conditions
//
// Conditions are evaluated lazily (and, or and quantifiers stop once the
// outcome is known) with yara's treatment of undefined values: arithmetic,
// comparisons and `not` on an undefined value are undefined; `and` and
// `or` treat it as false; `defined` tests it; a rule whose condition is
// undefined does not match; a "<" between floats is false when an operand
// is undefined (as yara 4.2.3 computes it, unlike the other comparisons).
// Integer division or remainder by zero is
// undefined, integer overflow wraps, shifts by 64 or more give 0; uint8 …
// int32be outside the data are undefined, as are @a[i] and !a[i] outside
// 1..#a. Quantifiers follow yara 4.2: "0 of" and "none of" a set mean
// none of it, but "for 0 of", "for none of", "for 0 i in" and "for none i
// in" are always true (yara 4.2.3 compiles "none" in a loop as 0); an
// undefined quantifier means all; a for … in loop over an empty or
// undefined range, array or dictionary is false.
// "#a in (lo..hi)" counts the matches from lo to hi (Debian's yara 4.2.3
// fails the scan for any lo > 0, which is not imitated). A loop
// over more than 2^26 values is undefined, and Scan fails when the loops
// of one scan need more than 2^26 iterations in all.
//
// yara holds an undefined value as the integer 0xFFFABADAFABADAFF
// (-0x5452505452501), so that integer is undefined to yara wherever it
// appears, even as a literal; here it is an integer like any other.
//
// Private rules are evaluated but not reported; a false global rule makes
// every rule false.
//
// # Modules
//
// math (entropy, mean, deviation, serial_correlation, monte_carlo_pi,
// count, percentage, mode, in_range, min, max, to_number, abs) and hash
// (md5, sha1, sha256, checksum32, crc32), over (offset, size) of the data
// or over a string, with yara 4.2's edge cases: an offset at or past the
// end of the data is undefined, the size is clipped, a NaN result (a mean
// of nothing) is undefined, and serial_correlation closes its cycle with
// the last byte, as yara computes it.
//
// pe, as yara 4.2.3 built with OpenSSL declares and computes it, over the
// scanned data parsed as a PE32 or PE32+ file (pe.go), quirks included:
//   - the headers: is_pe (0 on other data, where every other value is
//     undefined), machine, number_of_sections, timestamp,
//     pointer_to_symbol_table, number_of_symbols, size_of_optional_header,
//     characteristics, entry_point (a file offset, -1 when the address maps
//     to none), entry_point_raw, image_base, number_of_rva_and_sizes,
//     opthdr_magic, the sizes, bases, alignments and versions of the
//     optional header (linker_version.major …), checksum, subsystem,
//     dll_characteristics, the stack and heap sizes, loader_flags,
//     data_directories[i], overlay;
//   - sections[i] (at most 96, as yara): name, full_name, characteristics,
//     virtual_address, virtual_size, raw_data_offset, raw_data_size and the
//     relocation and line number fields;
//   - imports: number_of_imports, number_of_imported_functions,
//     import_details[i] (whose functions yara numbers on from those of the
//     DLLs before), imports(dll), imports(dll, function), imports(dll,
//     ordinal) and imports(/dll/, /function/), names compared without
//     case, functions imported by ordinal named as yara names them
//     ("recv", "ord7"), imphash(); the delay-load imports:
//     number_of_delayed_imports, number_of_delayed_imported_functions and
//     the same imports() forms after an import type (pe.IMPORT_STANDARD,
//     pe.IMPORT_DELAYED, pe.IMPORT_ANY); delay_import_details is empty, as
//     yara 4.2.3 never fills it;
//   - exports: number_of_exports, dll_name, export_timestamp,
//     export_details[i], exports(name) (without case), exports(ordinal)
//     (false above number_of_exports, as in yara), exports(/re/) and
//     exports_index of each;
//   - resources: number_of_resources, resource_timestamp,
//     resource_version, resources[i], locale(), language(), and the version
//     information: version_info["CompanyName"] (a dictionary),
//     version_info_list[i], number_of_version_infos;
//   - pdb_path, from the first CodeView entry of the debug directory
//     that has one; rich_signature (offset, length, key, raw_data,
//     clear_data, version() and toolid());
//   - is_dll() (the DLL bit, 0x2000, not 1), is_32bit(), is_64bit(),
//     section_index(name) and section_index(offset), rva_to_offset(),
//     calculate_checksum(), and every constant (pe.DLL, pe.MACHINE_AMD64,
//     pe.SECTION_MEM_EXECUTE, …).
//
// Arrays and the dictionary can be iterated: "for any s in pe.sections :
// (s.name == ".text")", "for any k, v in pe.version_info : (…)". The data
// is parsed on the first use of a value that needs it (the imports, the
// exports and the resources each on their own), once per scan; rules that
// use no value of pe cost nothing. Every offset and count read from the
// file is checked; the counts are capped as yara caps them (96 sections,
// 16384 DLLs and functions imported, 8192 exports, 65537 resources; the
// delay-load functions, which yara does not cap, at 16384 too) and the
// bytes scanned and directory entries visited in one file by 2^26 (yara's
// parse of a crafted file can be quadratic; such a file is parsed up to
// that point). The functions that go through the imports, exports or
// resources count their length in the loop budget below. Not computed, and
// rejected at compile time with the file, the line and the feature's name:
// signatures and number_of_signatures (the Authenticode signatures).
//
// The other modules of yara 4.2 (elf, time, cuckoo, magic, dotnet,
// console, dex, macho, tests) are not implemented: importing one is a
// compile error naming the file, the line and the module, rather than a
// rule that silently never matches. So is the deprecated keyword
// entrypoint (use pe.entry_point).
//
// # External variables
//
// Externals are taken from Scan's vars (int, int64, float64, bool, string
// or []byte). Compile cannot know them, so where yara rejects rules using
// an undefined identifier at compile time, Scan returns an error when an
// external listed by Rules.Externals is missing from vars. Declared to
// CompileOptions (Options.Externals, as yara -d declares them), they are
// checked as yara checks them: an undefined identifier or a type error is
// a compile error, and the declared values are Scan's defaults.
// CompileFiles declares none, as yara without -d.
package yara
