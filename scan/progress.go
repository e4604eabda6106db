package scan

// Progress receives the scan's progress. Start begins a phase with its
// totals; Add reports work done; Done ends the scan. Implementations must be
// safe for concurrent use.
type Progress interface {
	Start(phase string, files int, bytes int64)
	Add(files int, bytes int64)
	Done()
}

type nopProgress struct{}

func (nopProgress) Start(string, int, int64) {}
func (nopProgress) Add(int, int64)           {}
func (nopProgress) Done()                    {}
