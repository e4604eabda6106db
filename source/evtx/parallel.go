package evtx

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// RecordsParallel is Records with the chunks decoded by workers goroutines
// (GOMAXPROCS when workers < 1). fn is still called from the calling
// goroutine only, one record at a time and in file order, and it gets the
// same records and the same problems as from Records, stop on error
// included. At most 2×workers decoded chunks wait for fn, so memory does not
// grow with the file. ReadAt is called from the workers concurrently, as
// io.ReaderAt allows.
//
// Decoding allocates about one and a half times the file's size (the
// records' Data) and keeps little, so with GOGC at 100 the collector runs
// every few megabytes; on two cores its cycles then cost the workers more
// than they gain. A program decoding in parallel should let the heap grow
// more between cycles (GOGC=400 or so, debug.SetGCPercent).
func (f *File) RecordsParallel(workers int, fn func(*Record) error) []Problem {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	chunks := f.chunks
	if len(chunks) < 2 {
		return f.Records(fn)
	}
	workers = min(workers, len(chunks))
	ahead := 2 * workers
	// Chunk i comes back on done[i%ahead]: a worker takes a token before
	// taking the next chunk and fn's goroutine gives it back once it is done
	// with a chunk, so chunk i+ahead is only decoded once chunk i is
	// delivered, and its slot is free.
	done := make([]chan chunkBatch, ahead)
	for i := range done {
		done[i] = make(chan chunkBatch, 1)
	}
	tokens := make(chan struct{}, ahead)
	// Decoders go back from fn's goroutine to the workers, with their buffers.
	free := make(chan *chunkDecoder, ahead+workers)
	quit := make(chan struct{})
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws := workspaces.Get().(*workspace)
			defer workspaces.Put(ws)
			for {
				select {
				case <-quit:
					return
				default:
				}
				select {
				case tokens <- struct{}{}:
				case <-quit:
					return
				}
				i := int(next.Add(1) - 1)
				if i >= len(chunks) {
					return
				}
				if ws.spare == nil {
					select {
					case ws.spare = <-free:
					default:
					}
				}
				done[i%ahead] <- decodeBatch(chunks[i], ws, false)
			}
		}()
	}
	// Also when fn panics: the workers stop after their current chunk.
	defer func() {
		close(quit)
		wg.Wait()
	}()

	problems := append([]Problem(nil), f.Problems...)
	for i := range chunks {
		b := <-done[i%ahead]
		ps, err := b.deliver(fn)
		if d := b.src.release(nil); d != nil {
			free <- d // never blocks: there are no more decoders than chunks in flight and workers
		}
		problems = append(problems, ps...)
		<-tokens
		if err != nil {
			problems = append(problems, Problem{-1, "stopped by caller: " + err.Error()})
			break
		}
	}
	return problems
}

// chunkBatch is a decoded chunk: its records, and its problems in the order
// they were met among the records.
type chunkBatch struct {
	src      *chunkSource // released once the records are delivered
	records  []*Record
	problems []Problem
	before   []int // problems[i] was met before records[before[i]]
}

func decodeBatch(c *Chunk, ws *workspace, generic bool) chunkBatch {
	var b chunkBatch
	b.src, _ = c.decode(ws, generic, func(r *Record) error {
		b.records = append(b.records, r)
		return nil
	}, func(p Problem) {
		b.problems = append(b.problems, p)
		b.before = append(b.before, len(b.records))
	})
	return b
}

// deliver calls fn on each record; the problems returned are those met
// before the record at which fn failed, as if fn had been called while decoding.
func (b *chunkBatch) deliver(fn func(*Record) error) ([]Problem, error) {
	var problems []Problem
	p := 0
	for i, r := range b.records {
		for p < len(b.problems) && b.before[p] <= i {
			problems = append(problems, b.problems[p])
			p++
		}
		if err := fn(r); err != nil {
			return problems, err
		}
	}
	return append(problems, b.problems[p:]...), nil
}
