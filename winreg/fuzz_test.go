package winreg

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// smallModel is richModel without its bulk (the 600 subkeys and the long
// values), so that mutations of it hit structures more often than filler.
func smallModel() []modelValue {
	var m []modelValue
	for _, v := range richModel() {
		if v.key != "BigData" && !strings.HasPrefix(v.key, `Many\`) {
			m = append(m, v)
		}
	}
	for i := 0; i < 9; i++ {
		m = append(m, modelValue{fmt.Sprintf(`Many\Sub%d`, i), "Index", RegDWORD, dword(uint32(i))})
	}
	return m
}

// smallHive builds smallModel with leaves of at most 4 entries, so that
// the hive has index roots.
func smallHive(t testing.TB, leafSignature string, extra ...modelValue) []byte {
	t.Helper()
	b := NewBuilder("ROOT")
	b.leafSignature, b.leafCapacity = leafSignature, 4
	for _, v := range append(smallModel(), extra...) {
		b.SetValue(v.key, v.name, v.typ, v.data)
	}
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fuzzMaxKeys bounds the keys one fuzz input may make the test walk; the
// package bounds depth and list sizes, not the size of a whole tree.
const fuzzMaxKeys = 5000

// Fuzz inputs carry only the base block fields the reader interprets
// (its first 48 bytes; the rest is reserved, filename and checksum) and the
// used part of the hive bins. The fuzzer minimizes each input that reaches
// new code by removing byte ranges, which takes time quadratic in the
// input's length and is capped at a minute per input; with whole 8 KiB
// hives the fuzzer spent all its time doing that.
const fuzzHeaderSize = 48

// expandFuzzInput turns a fuzz input into a hive file by restoring the
// rest of the base block as zeros. Inputs too short for that are used as
// they are, to exercise the checks on short files.
func expandFuzzInput(in []byte) []byte {
	if len(in) < fuzzHeaderSize {
		return in
	}
	file := make([]byte, baseBlockSize, baseBlockSize+len(in)-fuzzHeaderSize)
	copy(file, in[:fuzzHeaderSize])
	return append(file, in[fuzzHeaderSize:]...)
}

// compactFuzzSeed is the inverse of expandFuzzInput for a Builder hive.
func compactFuzzSeed(hive []byte) []byte {
	le := binary.LittleEndian
	used := int(le.Uint32(hive[baseBinsSize:]))
	// The Builder ends the last bin with one free cell, if any space is left.
	lastBin := 0
	for bin := 0; bin < used; bin += int(le.Uint32(hive[baseBlockSize+bin+8:])) {
		lastBin = bin
	}
	for c := lastBin + hbinHeaderSize; c < used; {
		size := int(int32(le.Uint32(hive[baseBlockSize+c:])))
		if size > 0 {
			used = c
			break
		}
		c -= size
	}
	return append(slices.Clone(hive[:fuzzHeaderSize]), hive[baseBlockSize:baseBlockSize+used]...)
}

// fuzzSeed is a hive with a little of everything: the Exchange setup key,
// leaves of the given kind under an index root, a UTF-16 name, inline and
// cell data.
func fuzzSeed(t testing.TB, leafSignature string) []byte {
	b := NewBuilder("R")
	b.leafSignature, b.leafCapacity = leafSignature, 2
	b.SetString(exchangeSetupKey, "MsiInstallPath", `C:\Exchange\`)
	b.SetDWORD(exchangeSetupKey, "MsiProductMajor", 15)
	b.SetString(`Ключ`, "", "値")
	for i := 0; i < 3; i++ {
		b.SetDWORD(fmt.Sprintf(`Many\S%d`, i), "", uint32(i))
	}
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return compactFuzzSeed(data)
}

func FuzzOpen(f *testing.F) {
	for _, leaf := range []string{"lh", "lf", "li"} {
		f.Add(fuzzSeed(f, leaf))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if _, problem := exerciseHive(expandFuzzInput(in)); problem != nil {
			t.Fatal(problem)
		}
	})
}

// TestFuzzSeedsRead makes sure the seeds are valid hives, so that the
// fuzzer starts from inputs that reach deep into the reader.
func TestFuzzSeedsRead(t *testing.T) {
	for _, leaf := range []string{"lh", "lf", "li"} {
		seed := fuzzSeed(t, leaf)
		walkErr, problem := exerciseHive(expandFuzzInput(seed))
		if walkErr != nil || problem != nil {
			t.Errorf("%s seed: %v, %v", leaf, walkErr, problem)
		}
		keys, _ := walkHive(openBytes(t, expandFuzzInput(seed)), 100)
		if len(seed) > 2048 || len(keys) < 10 {
			t.Errorf("%s seed is %d bytes with %d keys; want a small seed with all keys", leaf, len(seed), len(keys))
		}
	}
}

// exerciseHive reads everything a hive offers and checks that what the
// reader returns is consistent. Errors (walkErr) are expected for damaged
// hives; panics, hangs and inconsistencies (problem) are not.
func exerciseHive(data []byte) (walkErr, problem error) {
	h, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err, nil
	}
	return exerciseOpened(h)
}

// exerciseOpened is exerciseHive for a hive already opened.
func exerciseOpened(h *Hive) (walkErr, problem error) {
	_, _ = h.OpenKey(exchangeSetupKey)
	keys, walkErr := walkHive(h, fuzzMaxKeys)
	for _, wk := range keys {
		_ = wk.key.LastWrite()
		for _, v := range wk.values {
			data, err := v.Data()
			if err == nil && len(data) > maxValueDataSize {
				return walkErr, fmt.Errorf("value %q returned %d bytes, over the limit", v.Name(), len(data))
			}
			_, _ = v.String()
			_, _ = v.Uint64()
			_ = v.Type().String()
			// Values() read every value of this key, so a lookup by
			// name must find one with that name.
			found, err := wk.key.Value(v.Name())
			if err != nil || !sameName(found.Name(), v.Name()) {
				return walkErr, fmt.Errorf("Value(%q) failed after Values() listed it: %v", v.Name(), err)
			}
		}
	}
	return walkErr, nil
}

// FuzzRecover replays fuzzed transaction logs onto a dirty primary file.
// The inputs are two logs (as LOG1 and LOG2); when rehash is set, the
// hashes of their new-format entries are recomputed first, so that the
// fuzzer reaches the checks behind them (sizes, sequence numbers, page
// references) instead of spending itself against Marvin32.
//
// The seeds are kept to a few sectors: the fuzzer minimizes every input
// that reaches new code, in time quadratic in its length, and with a log
// carrying the 48 KiB value of the v2 state it spent the whole run doing
// that (9 executions in 30 s).
func FuzzRecover(f *testing.F) {
	s := newDirtyStates(f)
	primary := dirtyPrimary(s.v0)
	binsSize := uint32(len(s.v1) - baseBlockSize)
	toV1 := changedPages(s.v0, s.v1, sectorSize)
	back := changedPages(s.v1, s.v0, sectorSize)
	entry1 := hvleEntry(primarySecondary, binsSize, toV1)
	entry2 := hvleEntry(primarySecondary+1, binsSize, back)
	f.Add(false, newFormatLog(primary, primarySecondary, entry1, entry2), []byte(nil))
	f.Add(true, newFormatLog(primary, primarySecondary, entry1), newFormatLog(primary, primarySecondary+1, entry2))
	f.Add(false, oldFormatLog(s.v0, s.v1, primarySecondary+1), []byte(nil))
	f.Fuzz(func(t *testing.T, rehash bool, log1, log2 []byte) {
		if rehash {
			log1, log2 = slices.Clone(log1), slices.Clone(log2)
			rehashLog(log1)
			rehashLog(log2)
		}
		h, report, err := Recover(bytes.NewReader(primary), int64(len(primary)), logFile("LOG1", log1), logFile("LOG2", log2))
		if err != nil {
			// Only the primary file's problems are errors, and it is fine.
			t.Fatalf("Recover: %v", err)
		}
		if len(report.Logs) != 2 || !report.Dirty {
			t.Fatalf("report = %+v", report)
		}
		entries := 0
		for _, l := range report.Logs {
			entries += l.Entries
			if l.Used && l.Refused != nil {
				t.Fatalf("log both used and refused: %+v", l)
			}
		}
		if entries != report.Entries || report.Applied != (report.Entries > 0 || report.Pages > 0) {
			t.Fatalf("report totals disagree with the logs: %+v", report)
		}
		_ = report.String()
		if _, problem := exerciseOpened(h); problem != nil {
			t.Fatal(problem)
		}
	})
}

// TestFuzzRecoverSeedsApply makes sure the FuzzRecover seeds replay, so
// that the fuzzer starts from logs that reach the page writes.
func TestFuzzRecoverSeedsApply(t *testing.T) {
	s := newDirtyStates(t)
	primary := dirtyPrimary(s.v0)
	binsSize := uint32(len(s.v1) - baseBlockSize)
	entry := hvleEntry(primarySecondary, binsSize, changedPages(s.v0, s.v1, sectorSize))
	for name, log := range map[string][]byte{
		"new format": newFormatLog(primary, primarySecondary, entry),
		"old format": oldFormatLog(s.v0, s.v1, primarySecondary+1),
	} {
		if len(log) > 2048 {
			t.Errorf("%s seed log is %d bytes; want a small one", name, len(log))
		}
		h, report, err := Recover(bytes.NewReader(primary), int64(len(primary)), logFile("LOG1", log))
		if err != nil || !report.Applied || stateOf(t, h, s) != "v1" {
			t.Errorf("%s seed did not replay: %v, %s", name, err, report)
		}
	}
}
