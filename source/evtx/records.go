package evtx

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Records decodes every record of every chunk in file order and calls fn on
// each. It stops early, returning the problems so far, if fn returns an error
// (that error is the last Problem, at offset -1).
func (f *File) Records(fn func(*Record) error) []Problem {
	problems := append([]Problem(nil), f.Problems...)
	for _, c := range f.chunks {
		ps, err := c.records(fn)
		problems = append(problems, ps...)
		if err != nil {
			problems = append(problems, Problem{-1, "stopped by caller: " + err.Error()})
			break
		}
	}
	return problems
}

// Records decodes the chunk's event records in order and calls fn on each.
// Damaged records are skipped and reported; decoding goes on with the next one.
// An error returned by fn stops decoding and is the last Problem (offset -1).
func (c *Chunk) Records(fn func(*Record) error) []Problem {
	problems, err := c.records(fn)
	if err != nil {
		problems = append(problems, Problem{-1, "stopped by caller: " + err.Error()})
	}
	return problems
}

var recordSignature = []byte{0x2a, 0x2a, 0x00, 0x00}

const recordHeaderSize = 24

func (c *Chunk) records(fn func(*Record) error) ([]Problem, error) {
	data, h, problems, err := c.Read()
	if err != nil {
		return append(problems, err.(Problem)), nil
	}
	end := int(h.FreeSpaceOffset)
	if end < chunkHeaderSize || end > chunkSize {
		end = chunkSize
	}
	dec := newChunkDecoder(data, c.Offset)
	le := binary.LittleEndian
	pos := chunkHeaderSize
	for pos+recordHeaderSize+4 <= end {
		size := int(le.Uint32(data[pos+4:]))
		valid := bytes.Equal(data[pos:pos+4], recordSignature) && size >= recordHeaderSize+4 && pos+size <= end &&
			int(le.Uint32(data[pos+size-4:])) == size
		if !valid {
			if isZero(data[pos : pos+8]) {
				break // unused space after the last record
			}
			problems = append(problems, Problem{c.Offset + int64(pos), "damaged event record header, looking for the next record"})
			next := nextRecord(data, pos+1, end)
			if next < 0 {
				break
			}
			pos = next
			continue
		}
		rec, err := dec.record(data[pos:pos+size], pos)
		if err != nil {
			at := int64(pos)
			if de, ok := err.(*decodeError); ok {
				at = int64(de.pos)
			}
			problems = append(problems, Problem{c.Offset + at, fmt.Sprintf("event record %d (record at %d): %v", le.Uint64(data[pos+8:]), c.Offset+int64(pos), err)})
		} else if err := fn(rec); err != nil {
			return problems, err
		}
		pos += size
	}
	return problems, nil
}

// nextRecord finds the next plausible record header (signature and matching
// size copy) at or after from, or -1.
func nextRecord(data []byte, from, end int) int {
	for {
		i := bytes.Index(data[from:end], recordSignature)
		if i < 0 {
			return -1
		}
		pos := from + i
		if pos+recordHeaderSize+4 > end {
			return -1
		}
		size := int(binary.LittleEndian.Uint32(data[pos+4:]))
		if size >= recordHeaderSize+4 && pos+size <= end && int(binary.LittleEndian.Uint32(data[pos+size-4:])) == size {
			return pos
		}
		from = pos + 1
	}
}

// record decodes one event record (raw spans the whole record, at chunk offset pos).
func (d *chunkDecoder) record(raw []byte, pos int) (*Record, error) {
	le := binary.LittleEndian
	r := &Record{HeaderID: le.Uint64(raw[8:]), RecordID: le.Uint64(raw[8:]), Written: fileTime(le.Uint64(raw[16:]))}
	c := &cursor{d: d, pos: pos + recordHeaderSize, end: pos + len(raw) - 4}
	nodes, err := c.fragment()
	if err != nil {
		return nil, err
	}
	res := &resolver{}
	r.root = res.resolve(nodes, nil)
	if res.overflow {
		return nil, &decodeError{pos, fmt.Sprintf("record expands to more than %d XML nodes", maxNodes)}
	}
	r.fill()
	return r, nil
}
