package evtx

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"
)

// Records decodes every record of every chunk in file order and calls fn on
// each. It stops early, returning the problems so far, if fn returns an error
// (that error is the last Problem, at offset -1).
func (f *File) Records(fn func(*Record) error) []Problem {
	problems := append([]Problem(nil), f.Problems...)
	ws := newWorkspace()
	report := func(p Problem) { problems = append(problems, p) }
	for _, c := range f.chunks {
		if err := c.decode(ws, false, fn, report); err != nil {
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
	var problems []Problem
	ws := workspaces.Get().(*workspace)
	defer workspaces.Put(ws)
	if err := c.decode(ws, false, fn, func(p Problem) { problems = append(problems, p) }); err != nil {
		problems = append(problems, Problem{-1, "stopped by caller: " + err.Error()})
	}
	return problems
}

// workspaces serves Chunk.Records, which callers run on many goroutines.
var workspaces = sync.Pool{New: func() any { return newWorkspace() }}

var recordSignature = []byte{0x2a, 0x2a, 0x00, 0x00}

const recordHeaderSize = 24

// decode decodes the chunk's records in order, calling fn on each record and
// report on each problem as they come; an error from fn stops it and is
// returned. generic turns the fast path off (for tests).
func (c *Chunk) decode(ws *workspace, generic bool, fn func(*Record) error, report func(Problem)) error {
	data, h, problems, err := c.Read()
	for _, p := range problems {
		report(p)
	}
	if err != nil {
		report(err.(Problem))
		return nil
	}
	end := int(h.FreeSpaceOffset)
	if end < chunkHeaderSize || end > chunkSize {
		end = chunkSize
	}
	dec := newChunkDecoder(data, c.Offset)
	dec.ws, dec.generic = ws, generic
	src := &chunkSource{dec: dec}
	// The decoder is locked while it decodes, for XML() may be called
	// meanwhile on a record of this chunk from another goroutine.
	src.mu.Lock()
	locked := true
	defer func() {
		dec.ws = nil // the workspace goes on to other chunks
		if locked {
			src.mu.Unlock()
		}
	}()
	// Records are allocated together, a few dozen at a time (records are at
	// least a few hundred bytes; a bogus count must not reserve much).
	slabSize := int(min(h.AnnouncedRecords(), uint64(end-chunkHeaderSize)/200+1))
	var slab []Record
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
			report(Problem{c.Offset + int64(pos), "damaged event record header, looking for the next record"})
			next := nextRecord(data, pos+1, end)
			if next < 0 {
				break
			}
			pos = next
			continue
		}
		if len(slab) == cap(slab) {
			slab = make([]Record, 0, max(slabSize, 1)) // never grown: records handed out point into it
		}
		slab = slab[:len(slab)+1]
		r := &slab[len(slab)-1]
		if err := dec.decodeRecord(r, pos, size); err != nil {
			slab = slab[:len(slab)-1]
			at := int64(pos)
			if de, ok := err.(*decodeError); ok {
				at = int64(de.pos)
			}
			report(Problem{c.Offset + at, fmt.Sprintf("event record %d (record at %d): %v", le.Uint64(data[pos+8:]), c.Offset+int64(pos), err)})
		} else {
			r.src = src
			src.mu.Unlock()
			locked = false
			err := fn(r)
			src.mu.Lock()
			locked = true
			if err != nil {
				return err
			}
		}
		pos += size
	}
	return nil
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

// decodeRecord fills r from the record at chunk offset pos: by the fast
// path when it can, else generically.
func (d *chunkDecoder) decodeRecord(r *Record, pos, size int) error {
	le := binary.LittleEndian
	fromHeader := Record{HeaderID: le.Uint64(d.data[pos+8:]), RecordID: le.Uint64(d.data[pos+8:]), Written: fileTime(le.Uint64(d.data[pos+16:])), at: pos, size: size}
	fromHeader.Time = fromHeader.Written
	*r = fromHeader
	if !d.generic && d.fastRecord(r, pos+recordHeaderSize, pos+size-4) {
		d.ws.fast++
		return nil
	}
	*r = fromHeader
	root, err := d.resolveRecord(pos, size)
	if err != nil {
		return err
	}
	r.fill(root)
	return nil
}

// resolveRecord decodes the record generically into its XML tree.
func (d *chunkDecoder) resolveRecord(pos, size int) ([]*xnode, error) {
	c := &cursor{d: d, pos: pos + recordHeaderSize, end: pos + size - 4}
	nodes, err := c.fragment()
	if err != nil {
		return nil, err
	}
	res := &resolver{}
	root := res.resolve(nodes, nil)
	if res.overflow {
		return nil, &decodeError{pos, fmt.Sprintf("record expands to more than %d XML nodes", maxNodes)}
	}
	return root, nil
}
