package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/exhunt/exhunt/finding"
	"github.com/exhunt/exhunt/result"
)

// The HTML report's timeline chart is laid out here and drawn by the
// template as inline SVG: the page needs no script to show it, and every
// label goes through html/template's escaping like the rest of the page.

// Geometry of the chart, in SVG user units (the page scales it to its
// width).
const (
	chartWidth     = 1000
	chartLeft      = 180 // room for the row labels
	chartRight     = 16
	chartTop       = 6
	chartLabelRow  = 17 // one row of milestone labels per milestone
	chartBandRow   = 20
	chartBandH     = 12
	chartLaneRow   = 30
	chartAxisSpace = 28
	chartMaxBins   = 120
	chartMaxTicks  = 9
)

// coord is an SVG coordinate, printed with one decimal so the output is
// the same on every platform.
type coord float64

func (c coord) String() string { return strconv.FormatFloat(float64(c), 'f', 1, 64) }

// svgChart is the laid-out timeline of one server.
type svgChart struct {
	Width, Height coord
	Left, Right   coord
	PlotWidth     coord
	// PlotTop is where the bands start; AxisY the time axis.
	PlotTop, AxisY coord
	Title, Desc    string
	Ticks          []svgTick
	Bands          []svgRow
	Lanes          []svgRow
	Milestones     []svgMilestone
	// Outside says how many findings fall outside the period drawn.
	Outside string
}

type svgTick struct {
	X     coord
	Label string
}

// svgRow is a labelled row: a band of periods or a lane of findings.
type svgRow struct {
	Label      string
	Y, H       coord
	LabelY     coord
	Segments   []svgSegment
	Class      string
	Total      int
	EmptyLabel string
}

// svgSegment is a period or a histogram bar, with the words a pointer
// shows.
type svgSegment struct {
	X, W, Y, H coord
	Class      string
	Title      string
}

type svgMilestone struct {
	N              int
	X, Y1, Y2      coord
	LabelX, LabelY coord
	Anchor, Label  string
	Class          string
}

// chartStages are the lanes of the chart, in attack order.
var chartStages = []finding.Stage{finding.StageAttempt, finding.StageExploitation, finding.StageWebshellWritten,
	finding.StageWebshellUse, finding.StagePostExploitation}

// stageLabels name the stages for a person.
var stageLabels = map[finding.Stage]string{
	finding.StageAttempt:          "attempted",
	finding.StageExploitation:     "exploited",
	finding.StageWebshellWritten:  "web shell written",
	finding.StageWebshellUse:      "web shell used",
	finding.StagePostExploitation: "post-exploitation",
}

// chartFinding is a finding the chart counts: evidence of an attack step
// with a time.
func chartFinding(f *finding.Finding) bool {
	return f.Time != nil && f.Stage != "" && !f.Context && !f.Exposure && f.Severity > finding.Info
}

// chartPeriod is the period the chart draws: what the logs cover, the
// milestones and the windows. Findings are not part of it, so that one
// file time set by an attacker to 2009 cannot squeeze the attack into a
// pixel; those outside are counted instead.
func chartPeriod(s *result.Server) (from, to time.Time, ok bool) {
	add := func(t *time.Time) {
		if t == nil || t.IsZero() {
			return
		}
		if !ok || t.Before(from) {
			from = *t
		}
		if !ok || t.After(to) {
			to = *t
		}
		ok = true
	}
	add(s.Verdict.CoveredFrom)
	add(s.Verdict.CoveredTo)
	if tl := s.Timeline; tl != nil {
		for i := range tl.Milestones {
			add(&tl.Milestones[i].Time)
		}
		for _, w := range []*result.Window{tl.Exposure, tl.WebshellPresent} {
			if w != nil {
				add(w.From)
				add(w.To)
			}
		}
	}
	if !ok {
		for i := range s.Findings {
			if f := &s.Findings[i]; chartFinding(f) {
				add(f.Time)
			}
		}
	}
	if !ok {
		return
	}
	from, to = from.UTC(), to.UTC()
	pad := max(seconds(to, from)/40, 1800)
	return at(from, -pad), at(to, pad), true
}

// The chart counts time in seconds, not in time.Duration: a forged file
// time can lie centuries away, beyond the 292 years a Duration holds.
const (
	minute = 60
	hour   = 60 * minute
	day    = 24 * hour
)

// binSteps and tickSteps are the histogram bins and axis steps the chart
// chooses from, in seconds: the smallest that keeps the count in bounds.
var (
	binSteps  = []int64{minute, 5 * minute, 15 * minute, 30 * minute, hour, 2 * hour, 3 * hour, 6 * hour, 12 * hour, day, 2 * day, 7 * day, 14 * day, 28 * day, 91 * day, 364 * day}
	tickSteps = []int64{10 * minute, 30 * minute, hour, 2 * hour, 3 * hour, 6 * hour, 12 * hour, day, 2 * day, 7 * day, 14 * day, 28 * day, 91 * day, 364 * day, 4 * 364 * day}
)

func chooseStep(steps []int64, span int64, most int64) int64 {
	for _, s := range steps {
		if span/s <= most {
			return s
		}
	}
	return (span/most/day + 1) * day
}

// seconds is b-a in seconds.
func seconds(b, a time.Time) int64 { return b.Unix() - a.Unix() }

// at is t moved by n seconds.
func at(t time.Time, n int64) time.Time { return time.Unix(t.Unix()+n, int64(t.Nanosecond())).UTC() }

// floorTo aligns a time to a multiple of step seconds since the Unix epoch
// (a UTC midnight), so that day bins start at midnight UTC.
func floorTo(t time.Time, step int64) time.Time {
	d := t.Unix() % step
	if d < 0 {
		d += step
	}
	return time.Unix(t.Unix()-d, 0).UTC()
}

// newChart lays out a server's timeline; nil when nothing has a time.
func newChart(s *result.Server) *svgChart {
	from, to, ok := chartPeriod(s)
	if !ok {
		return nil
	}
	var milestones []result.Milestone
	if s.Timeline != nil {
		milestones = s.Timeline.Milestones
	}
	c := &svgChart{Width: chartWidth, Left: chartLeft, Right: chartWidth - chartRight, PlotWidth: chartWidth - chartRight - chartLeft}
	span := seconds(to, from)
	x := func(t time.Time) coord {
		offset := float64(seconds(t, from)) + float64(t.Nanosecond()-from.Nanosecond())/1e9
		return c.Left + (c.Right-c.Left)*coord(offset/float64(span))
	}
	clampX := func(t time.Time) coord { return max(c.Left, min(c.Right, x(t))) }
	y := coord(chartTop)
	c.PlotTop = y + coord(len(milestones))*chartLabelRow + 4

	// Bands: what the logs cover, the gaps, the windows.
	band := func(label, class string, segs []svgSegment, empty string) {
		if len(segs) == 0 && empty == "" {
			return
		}
		row := svgRow{Label: label, Class: class, EmptyLabel: empty}
		row.Y = c.PlotTop + coord(len(c.Bands))*chartBandRow
		row.H = chartBandH
		row.LabelY = row.Y + chartBandH - 2
		for _, sg := range segs {
			sg.Y, sg.H = row.Y, row.H
			row.Segments = append(row.Segments, sg)
		}
		c.Bands = append(c.Bands, row)
	}
	period := func(a, b *time.Time, open bool, class, title string) []svgSegment {
		if a == nil && b == nil {
			return nil
		}
		start, end := from, to
		if a != nil {
			start = *a
		}
		if b != nil && !open {
			end = *b
		}
		if !end.After(from) || !start.Before(to) {
			return nil
		}
		x1, x2 := clampX(start), clampX(end)
		return []svgSegment{{X: x1, W: max(x2-x1, 2), Class: class, Title: title}}
	}
	v := s.Verdict
	band("logs read", "band-cover",
		period(v.CoveredFrom, v.CoveredTo, false, "seg-cover", "logs read from "+stampPtr(v.CoveredFrom)+" to "+stampPtr(v.CoveredTo)),
		"no log with times was read")
	if tl := s.Timeline; tl != nil {
		var gaps []svgSegment
		for _, g := range tl.Gaps {
			if g.From != nil && g.To != nil {
				gaps = append(gaps, period(g.From, g.To, false, "seg-gap", prose(g.Text))...)
			}
		}
		band("gaps in the evidence", "band-gap", gaps, "")
		if w := tl.Exposure; w != nil {
			band("exposure window", "band-exposure", period(w.From, w.To, w.Open || w.To == nil, "seg-exposure", prose(w.Text)), "")
		}
		if w := tl.WebshellPresent; w != nil {
			band("web shell present", "band-shell", period(w.From, w.To, w.Open || w.To == nil, "seg-shell", prose(w.Text)), "")
		}
	}

	// Lanes: findings over time, one lane per stage.
	step := chooseStep(binSteps, span, chartMaxBins)
	start := floorTo(from, step)
	nbins := int(seconds(to, start)/step) + 1
	counts := make(map[finding.Stage][]int, len(chartStages))
	for _, st := range chartStages {
		counts[st] = make([]int, nbins)
	}
	var before, after int
	var earliest, latest time.Time
	most := 0
	for i := range s.Findings {
		f := &s.Findings[i]
		if !chartFinding(f) || counts[f.Stage] == nil {
			continue
		}
		t := f.Time.UTC()
		if t.Before(from) || t.After(to) {
			if t.Before(from) {
				before++
			} else {
				after++
			}
			if earliest.IsZero() || t.Before(earliest) {
				earliest = t
			}
			if latest.IsZero() || t.After(latest) {
				latest = t
			}
			continue
		}
		b := int(seconds(t, start) / step)
		counts[f.Stage][b]++
		most = max(most, counts[f.Stage][b])
	}
	lanesTop := c.PlotTop + coord(len(c.Bands))*chartBandRow + 6
	for li, st := range chartStages {
		row := svgRow{Label: stageLabels[st], Class: "lane-" + string(st)}
		row.Y = lanesTop + coord(li)*chartLaneRow
		row.H = chartLaneRow - 4
		row.LabelY = row.Y + row.H/2 + 4
		for b, n := range counts[st] {
			if n == 0 {
				continue
			}
			row.Total += n
			bs := at(start, int64(b)*step)
			be := at(bs, step)
			x1, x2 := clampX(bs), clampX(be)
			h := max(3, (row.H-2)*coord(n)/coord(most))
			row.Segments = append(row.Segments, svgSegment{
				X: x1, W: max(x2-x1-0.5, 1.5), Y: row.Y + row.H - h, H: h, Class: "bar bar-" + string(st),
				Title: fmt.Sprintf("%s: %d finding(s) from %s to %s", stageLabels[st], n, clockUTC(bs), clockUTC(be)),
			})
		}
		c.Lanes = append(c.Lanes, row)
	}
	c.AxisY = lanesTop + coord(len(chartStages))*chartLaneRow
	c.Height = c.AxisY + chartAxisSpace

	// The axis.
	tick := chooseStep(tickSteps, span, chartMaxTicks)
	for t := floorTo(from, tick); !t.After(to); t = at(t, tick) {
		if t.Before(from) {
			continue
		}
		label := t.Format("2006-01-02")
		if tick < day && (t.Hour() != 0 || t.Minute() != 0) {
			label = t.Format("01-02 15:04")
		}
		c.Ticks = append(c.Ticks, svgTick{X: x(t), Label: label})
	}

	// Milestones: a line down to the axis and a label in a row of its own,
	// so that milestones minutes apart never overlap.
	for i, m := range milestones {
		mx := x(m.Time)
		ly := coord(chartTop) + coord(i)*chartLabelRow + chartLabelRow - 5
		ms := svgMilestone{N: i + 1, X: mx, Y1: ly - 10, Y2: c.AxisY, LabelY: ly, Anchor: "start", LabelX: mx + 5,
			Class: "ms-" + m.Name, Label: fmt.Sprintf("%d %s, %s", i+1, milestoneLabels[m.Name], clock(m.Time, m.Basis))}
		if mx > (c.Left+c.Right)/2 {
			ms.Anchor, ms.LabelX = "end", mx-5
		}
		c.Milestones = append(c.Milestones, ms)
	}

	c.Title = "Timeline, " + clockUTC(from) + " to " + clockUTC(to) + " UTC"
	var desc []string
	if v.CoveredFrom != nil {
		desc = append(desc, "logs read from "+stampPtr(v.CoveredFrom)+" to "+stampPtr(v.CoveredTo))
	}
	for _, l := range c.Lanes {
		desc = append(desc, fmt.Sprintf("%d %s", l.Total, l.Label))
	}
	c.Desc = "Findings by stage over time (" + strings.Join(desc, ", ") + "), with the milestones listed in the table below."
	if before+after > 0 {
		c.Outside = fmt.Sprintf("%d finding(s) dated outside the period drawn (%d before, %d after; from %s to %s), often file times, which an attacker can set: they are in the findings table.",
			before+after, before, after, stamp(earliest), stamp(latest))
	}
	return c
}

func clockUTC(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }

func stampPtr(t *time.Time) string {
	if t == nil {
		return "unknown"
	}
	return stamp(*t)
}
