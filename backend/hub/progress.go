package hub

import (
	"sync"
	"time"
)

// Phase names what a pull is doing.
type Phase string

// The phases of a pull, in order.
const (
	PhaseResolving   Phase = "resolving"   // asking the Hub for the commit and file list
	PhaseDownloading Phase = "downloading" // transferring files
	PhaseDone        Phase = "done"        // every file is in the snapshot
)

// Progress is one progress event of a pull. Byte counts cover the files the pull needs,
// including those already on disk, so Done/Total is the share of the model present.
type Progress struct {
	Repo     string `json:"repo"`
	Revision string `json:"revision,omitempty"` // commit hash, once known
	Phase    Phase  `json:"phase"`
	// File is the repository file being transferred, or "".
	File      string `json:"file,omitempty"`
	FileIndex int    `json:"file_index"` // 1-based position of File among FileCount
	FileCount int    `json:"file_count"`
	FileDone  int64  `json:"file_done"`
	FileTotal int64  `json:"file_total"`
	Done      int64  `json:"done"`
	Total     int64  `json:"total"`
	// BytesPerSec is the recent transfer rate (bytes fetched this session only).
	BytesPerSec float64 `json:"bytes_per_sec"`
	// ETA is the estimated time left at BytesPerSec, or -1 when unknown.
	ETA time.Duration `json:"eta"`
	// Retry counts the retries of the current file so far.
	Retry int `json:"retry,omitempty"`
}

// progressMeter aggregates byte counts and calls the callback at most once per interval,
// plus unthrottled calls at file boundaries. The rate is an exponentially weighted
// average over windows of at least rateWindow, so neither a burst nor an event forced
// at a file boundary makes the ETA jump.
type progressMeter struct {
	mu       sync.Mutex
	fn       func(Progress)
	interval time.Duration
	now      func() time.Time

	p        Progress
	lastEmit time.Time
	rateAt   time.Time // start of the current rate window
	rateDone int64     // Done at rateAt, less the bytes that were already on disk
	rate     float64
}

// rateWindow is the shortest span a rate sample covers.
const rateWindow = 250 * time.Millisecond

func newProgressMeter(fn func(Progress), interval time.Duration) *progressMeter {
	return &progressMeter{fn: fn, interval: interval, now: time.Now}
}

// update changes the event fields under the lock and emits when force is true or the
// interval has passed.
func (m *progressMeter) update(force bool, change func(p *Progress)) {
	if m == nil || m.fn == nil {
		return
	}
	m.mu.Lock()
	change(&m.p)
	now := m.now()
	if !force && now.Sub(m.lastEmit) < m.interval {
		m.mu.Unlock()
		return
	}
	m.lastEmit = now
	m.measure(now)
	ev := m.p
	m.mu.Unlock()
	m.fn(ev)
}

// measure updates the rate and ETA from the bytes fetched since the window began.
func (m *progressMeter) measure(now time.Time) {
	const alpha = 0.3 // weight of the newest window in the average
	if m.rateAt.IsZero() {
		m.rateAt, m.rateDone = now, m.p.Done
	} else if dt := now.Sub(m.rateAt); dt >= rateWindow {
		inst := max(float64(m.p.Done-m.rateDone)/dt.Seconds(), 0)
		if m.rate == 0 {
			m.rate = inst
		} else {
			m.rate = alpha*inst + (1-alpha)*m.rate
		}
		m.rateAt, m.rateDone = now, m.p.Done
	}
	m.p.BytesPerSec = m.rate
	m.p.ETA = -1
	if m.rate > 0 && m.p.Total >= m.p.Done {
		m.p.ETA = time.Duration(float64(m.p.Total-m.p.Done) / m.rate * float64(time.Second))
	}
}

// skip adds bytes that were already on disk: they count in Done but not in the rate.
func (m *progressMeter) skip(n int64) {
	if m == nil || m.fn == nil {
		return
	}
	m.mu.Lock()
	m.p.Done += n
	m.rateDone += n
	m.mu.Unlock()
}

// unskip removes bytes that were counted but are gone (a restart from byte 0).
func (m *progressMeter) unskip(n int64) {
	if m == nil || m.fn == nil || n == 0 {
		return
	}
	m.mu.Lock()
	m.p.Done -= n
	m.p.FileDone = 0
	m.rateDone -= n
	m.mu.Unlock()
}
