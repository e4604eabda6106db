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
	ws := workspaces.Get().(*workspace)
	defer workspaces.Put(ws)
	report := func(p Problem) { problems = append(problems, p) }
	for _, c := range f.chunks {
		src, err := c.decode(ws, false, fn, report)
		ws.spare = src.release(ws.spare)
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
	var problems []Problem
	ws := workspaces.Get().(*workspace)
	defer workspaces.Put(ws)
	src, err := c.decode(ws, false, fn, func(p Problem) { problems = append(problems, p) })
	ws.spare = src.release(ws.spare)
	if err != nil {
		problems = append(problems, Problem{-1, "stopped by caller: " + err.Error()})
	}
	return problems
}

// workspaces keep their buffers and a chunk decoder from call to call:
// callers decode many small files, and Chunk.Records runs on many goroutines.
var workspaces = sync.Pool{New: func() any { return newWorkspace() }}

// chunkSource is what the records of a chunk need for XML: the decoder that
// decodes the chunk, until it goes on to another chunk, then one made again
// from the file.
type chunkSource struct {
	chunk    *Chunk
	mu       sync.Mutex // the decoder's caches are shared by the chunk's records
	dec      *chunkDecoder
	live     bool // dec is the decoder that decoded the records
	end      int  // where the records end in the chunk
	replayed int  // the chunk's records before this offset are known to dec
}

// release takes the decoder back for another chunk, once no record of this
// one is to be handed out any more; it returns spare if there is none.
func (s *chunkSource) release(spare *chunkDecoder) *chunkDecoder {
	if s == nil {
		return spare
	}
	s.mu.Lock()
	d := s.dec
	s.dec, s.live = nil, false
	s.mu.Unlock()
	if d == nil {
		return spare
	}
	d.reset(0)
	return d
}

// withTree decodes the record again, generically, into the XML tree and
// calls fn on it, with the decoder locked: the tree's values point into the
// decoder's buffer, which goes on to another chunk once released.
func (r *Record) withTree(fn func([]*xnode)) {
	s := r.src
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dec == nil {
		data := make([]byte, chunkSize)
		h, _, err := s.chunk.readInto(data)
		if err != nil {
			return
		}
		s.dec, s.end, s.replayed = newChunkDecoder(data, s.chunk.Offset), h.recordsEnd(), chunkHeaderSize
	}
	if !s.live && s.replayed <= r.at {
		// The decoder must know the templates as they were when the record
		// was first decoded: those of the records before it, decoded in
		// order (which templates come out depends on it only for damaged
		// ones, but then it does).
		w := recordWalker{data: s.dec.data, pos: s.replayed, end: s.end}
		for {
			pos, size, ok := w.next(nil)
			if !ok || pos >= r.at {
				break
			}
			c := &cursor{d: s.dec, pos: pos + recordHeaderSize, end: pos + size - 4}
			c.fragment()
		}
		s.replayed = r.at + r.size
	}
	if root, err := s.dec.resolveRecord(r.at, r.size); err == nil { // else the chunk changed since
		fn(root)
	}
}

var recordSignature = []byte{0x2a, 0x2a, 0x00, 0x00}

const recordHeaderSize = 24

// recordWalker steps through the records of a chunk, over damaged ones.
type recordWalker struct {
	data     []byte
	pos, end int
}

// next returns the next record whose header is sound, calling damaged (if
// not nil) on each damaged header met before it.
func (w *recordWalker) next(damaged func(pos int)) (pos, size int, ok bool) {
	le := binary.LittleEndian
	for w.pos+recordHeaderSize+4 <= w.end {
		pos := w.pos
		size := int(le.Uint32(w.data[pos+4:]))
		if bytes.Equal(w.data[pos:pos+4], recordSignature) && size >= recordHeaderSize+4 && pos+size <= w.end &&
			int(le.Uint32(w.data[pos+size-4:])) == size {
			w.pos = pos + size
			return pos, size, true
		}
		if isZero(w.data[pos : pos+8]) {
			break // unused space after the last record
		}
		if damaged != nil {
			damaged(pos)
		}
		next := nextRecord(w.data, pos+1, w.end)
		if next < 0 {
			break
		}
		w.pos = next
	}
	w.pos = w.end
	return 0, 0, false
}

// decode decodes the chunk's records in order, calling fn on each record and
// report on each problem as they come; an error from fn stops it and is
// returned. It decodes with the workspace's spare decoder (or a new one),
// which the chunk source keeps: the caller releases it once no record of the
// chunk is to be handed out any more. generic turns the fast path off (for tests).
func (c *Chunk) decode(ws *workspace, generic bool, fn func(*Record) error, report func(Problem)) (*chunkSource, error) {
	dec := ws.spare
	if dec == nil {
		dec = newChunkDecoder(make([]byte, chunkSize), 0)
	}
	ws.spare = nil // the chunk source has it until it is released
	h, problems, err := c.readInto(dec.data)
	for _, p := range problems {
		report(p)
	}
	if err != nil {
		ws.spare = dec
		report(err.(Problem))
		return nil, nil
	}
	dec.reset(c.Offset)
	dec.ws, dec.generic = ws, generic
	src := &chunkSource{chunk: c, dec: dec, live: true}
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
	end := h.recordsEnd()
	slabSize := int(min(h.AnnouncedRecords(), uint64(end-chunkHeaderSize)/200+1))
	var slab []Record
	damaged := func(pos int) {
		report(Problem{c.Offset + int64(pos), "damaged event record header, looking for the next record"})
	}
	le := binary.LittleEndian
	w := recordWalker{data: dec.data, pos: chunkHeaderSize, end: end}
	for {
		pos, size, ok := w.next(damaged)
		if !ok {
			break
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
			report(Problem{c.Offset + at, fmt.Sprintf("event record %d (record at %d): %v", le.Uint64(dec.data[pos+8:]), c.Offset+int64(pos), err)})
			continue
		}
		r.src = src
		src.mu.Unlock()
		locked = false
		err := fn(r)
		src.mu.Lock()
		locked = true
		if err != nil {
			return src, err
		}
	}
	return src, nil
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
