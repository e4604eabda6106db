package evtxwrite

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// FuzzRoundTrip writes random events made from a seed and checks that
// exhunt's decoder reads every one back exactly. The seeds below run with
// every `go test`; to search further:
//
//	go test -run XXX -fuzz FuzzRoundTrip -fuzztime 60s ./source/evtx/evtxwrite/
func FuzzRoundTrip(f *testing.F) {
	for seed := range uint64(16) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		events := randomEvents(r, 1+r.IntN(150))
		_, recs := decodeAll(t, encode(t, Options{}, events))
		checkRecords(t, recs, events)
	})
}

// Character pools: the random strings mix them all, markup and astral
// planes (UTF-16 surrogate pairs) included. No NUL: a string ending in NUL
// loses it, as Windows' readers trim it.
var (
	poolASCII   = []rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;-_/\\()[]{}$%#@!?=+*~|`^")
	poolMarkup  = []rune(`<>&"'`)
	poolSpace   = []rune(" \t\n\r")
	poolControl = []rune("\x01\x02\x07\x08\x0b\x0c\x1b\x1f\u007f\u0085\u2028")
	poolIntl    = []rune("éüßçøñÆŒЖжΩλאבعربي中文日本語한국어ไทย€£¥©®™")
	poolAstral  = []rune("🙂😈🔥𝄞𐍈𠜎🀄")
	poolHigh    = []rune("\ud7ff\ue000\ufffd\ufeff")
)

// randomString makes a string; safe ones (for the System section, which the
// test reads back as XML) have no control characters and no line breaks.
func randomString(r *rand.Rand, safe bool, maxLen int) string {
	var n int
	switch p := r.IntN(100); {
	case p < 15:
		return ""
	case p < 75:
		n = 1 + r.IntN(30)
	case p < 95:
		n = 31 + r.IntN(270)
	default:
		n = 300 + r.IntN(2700)
	}
	n = min(n, maxLen)
	var sb strings.Builder
	for range n {
		var pool []rune
		switch p := r.IntN(100); {
		case p < 55:
			pool = poolASCII
		case p < 65:
			pool = poolMarkup
		case p < 72 && !safe:
			pool = poolSpace
		case p < 77 && !safe:
			pool = poolControl
		case p < 87:
			pool = poolIntl
		case p < 95:
			pool = poolAstral
		default:
			pool = poolHigh
		}
		sb.WriteRune(pool[r.IntN(len(pool))])
	}
	return sb.String()
}

func randomGUID(r *rand.Rand) GUID {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return GUID(fmt.Sprintf("{%x-%x-%x-%x-%x}", b[:4], b[4:6], b[6:8], b[8:10], b[10:]))
}

func randomSID(r *rand.Rand) SID {
	s := fmt.Sprintf("S-1-%d", r.Uint64N(1<<48))
	for range r.IntN(16) {
		s += fmt.Sprintf("-%d", r.Uint32())
	}
	return SID(s)
}

func randomTime(r *rand.Rand, from, to int) time.Time {
	lo := time.Date(from, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(to, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	return time.Unix(lo+r.Int64N(hi-lo), r.Int64N(1e9)).UTC()
}

// randomSlice makes 1 to 8 elements: an empty numeric array is null, left
// out of the record (TestNullValue covers it).
func randomSlice[T any](r *rand.Rand, gen func() T) []T {
	out := make([]T, 1+r.IntN(8))
	for i := range out {
		out[i] = gen()
	}
	return out
}

// randomValue returns a value of a random type and its size in bytes, about.
func randomValue(r *rand.Rand, allowNil bool, budget int) (any, int) {
	switch r.IntN(30) {
	case 0:
		if allowNil {
			return nil, 0
		}
		return "", 0
	case 1:
		s := []byte(randomString(r, true, 200))
		for i := range s {
			s[i] = 0x20 + s[i]%0x5f // printable ASCII: an ANSI string is shown byte by byte
		}
		return ANSIString(s), len(s)
	case 2:
		return int8(r.Uint32()), 1
	case 3:
		return uint8(r.Uint32()), 1
	case 4:
		return int16(r.Uint32()), 2
	case 5:
		return uint16(r.Uint32()), 2
	case 6:
		return int32(r.Uint32()), 4
	case 7:
		return r.Uint32(), 4
	case 8:
		return int64(r.Uint64()), 8
	case 9:
		return r.Uint64(), 8
	case 10:
		return float32(r.NormFloat64() * 1e6), 4
	case 11:
		return r.NormFloat64() * 1e100, 8
	case 12:
		return r.IntN(2) == 0, 4
	case 13:
		b := make([]byte, r.IntN(min(200, budget+1)))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b, len(b)
	case 14:
		return randomGUID(r), 16
	case 15:
		return randomSID(r), 68
	case 16:
		return Hex32(r.Uint32()), 4
	case 17:
		return Hex64(r.Uint64()), 8
	case 18:
		return randomTime(r, 1970, 2100), 8
	case 19:
		return SystemTime(randomTime(r, 1601, 9999).Truncate(time.Millisecond)), 16
	case 20:
		v := randomSlice(r, func() string { return randomString(r, false, min(100, budget/16)) })[r.IntN(2):] // maybe empty
		return v, 4 * len(strings.Join(v, "..."))
	case 21:
		return randomSlice(r, func() uint16 { return uint16(r.Uint32()) }), 16
	case 22:
		return randomSlice(r, r.Uint32), 32
	case 23:
		return randomSlice(r, r.Uint64), 64
	case 24:
		return randomSlice(r, func() int32 { return int32(r.Uint32()) }), 32
	case 25:
		return randomSlice(r, func() int64 { return int64(r.Uint64()) }), 64
	case 26:
		return randomSlice(r, func() Hex64 { return Hex64(r.Uint64()) }), 64
	case 27:
		return randomSlice(r, func() GUID { return randomGUID(r) }), 128
	}
	s := randomString(r, false, budget/4)
	return s, 4 * len([]rune(s))
}

// randomEvents makes n events of random shapes: any System values, up to
// a few hundred data items, strings up to a few thousand characters; each
// small enough for a chunk.
func randomEvents(r *rand.Rand, n int) []Event {
	events := make([]Event, n)
	var lastID uint64
	for i := range events {
		e := Event{
			Time: randomTime(r, 1970, 2100), Provider: randomString(r, true, 100), EventID: uint16(r.Uint32()),
			Version: uint8(r.Uint32()), Level: uint8(r.Uint32()), Task: uint16(r.Uint32()), Opcode: uint8(r.Uint32()), Keywords: r.Uint64(),
			ProcessID: r.Uint32(), ThreadID: r.Uint32(), Channel: randomString(r, true, 100), Computer: randomString(r, true, 100),
			Classic: r.IntN(4) == 0,
		}
		maybe := func() bool { return r.IntN(3) == 0 }
		if maybe() {
			e.Written = randomTime(r, 1970, 2100)
		}
		if maybe() {
			e.ProviderGUID = randomGUID(r)
		}
		if maybe() {
			e.EventSourceName = randomString(r, true, 100)
		}
		if maybe() {
			e.Qualifiers = uint16(r.Uint32())
		}
		if maybe() {
			e.ActivityID = randomGUID(r)
		}
		if maybe() {
			e.RelatedActivity = randomGUID(r)
		}
		if maybe() {
			e.UserSID = randomSID(r)
		}
		if r.IntN(10) == 0 {
			e.RecordID = lastID + 1 + r.Uint64N(1<<40)
		}
		lastID = max(lastID+1, e.RecordID)
		var items int
		switch p := r.IntN(100); {
		case p < 70:
			items = r.IntN(11)
		case p < 95:
			items = 11 + r.IntN(90)
		default:
			items = 101 + r.IntN(300)
		}
		budget := 36000 // bytes of values, names and template: leaves room in a 64 KiB chunk
		data := make([]Data, 0, items)
		userData := r.IntN(6) == 0
		for range items {
			if budget < 200 {
				break
			}
			name := randomString(r, false, 40)
			if userData && name == "" {
				name = "F"
			}
			v, size := randomValue(r, name == "" || userData, budget-100)
			budget -= size + 4*len([]rune(name)) + 40
			data = append(data, Data{Name: name, Value: v})
		}
		if userData {
			e.UserData = &UserData{Name: "U" + randomString(r, false, 20), Fields: data}
			if maybe() {
				e.UserData.Namespace = randomString(r, true, 60)
			}
		} else {
			e.Data = data
		}
		events[i] = e
	}
	return events
}
