package syncbench_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carebook/carebook/internal/practicetest"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/smart"
)

// network is a link between the app and its practice, as a patient has
// one: a bandwidth shared by every connection, and a round trip before
// each reply.
type network struct {
	name string
	bps  float64       // bits per second, server to app
	rtt  time.Duration // from a request's last byte to its reply's first

	mu      sync.Mutex
	free    time.Time // when the link has carried what was read so far
	carried int64     // bytes, in all
}

// networks are the links of BenchmarkSyncOverNetwork
// (CAREBOOK_BENCH_NETWORKS picks among them by name).
func networks() []*network {
	return []*network{
		{name: "broadband", bps: 100e6, rtt: 20 * time.Millisecond},
		{name: "phone", bps: 20e6, rtt: 50 * time.Millisecond},
	}
}

// carry waits until the link has carried n more bytes.
func (l *network) carry(n int) {
	if n <= 0 {
		return
	}
	d := time.Duration(float64(n) * 8 / l.bps * float64(time.Second))
	l.mu.Lock()
	now := time.Now()
	start := l.free
	if start.Before(now) {
		start = now
	}
	l.free = start.Add(d)
	until := l.free
	l.carried += int64(n)
	l.mu.Unlock()
	// Sleeps of a few milliseconds overshoot by about as much: a read
	// runs ahead of the link by up to that, and the next waits for both.
	if wait := time.Until(until); wait > 4*time.Millisecond {
		time.Sleep(wait)
	}
}

// slowConn is a connection over a network: a read after a write (a reply
// after its request) waits a round trip, and every read waits for the
// link to carry its bytes.
type slowConn struct {
	net.Conn
	link  *network
	wrote bool
}

func (c *slowConn) Write(p []byte) (int, error) {
	c.wrote = true
	return c.Conn.Write(p)
}

func (c *slowConn) Read(p []byte) (int, error) {
	if c.wrote {
		c.wrote = false
		time.Sleep(c.link.rtt)
	}
	n, err := c.Conn.Read(p)
	c.link.carry(n)
	return n, err
}

// client is the app's HTTP client with every connection over the link.
func (l *network) client() *http.Client {
	var d net.Dialer
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		time.Sleep(l.rtt) // the TCP handshake
		return &slowConn{Conn: conn, link: l}, nil
	}
	hc := fhirapi.NewHTTPClient(0)
	hc.Transport = tr
	return hc
}

// api is a client of profile p's practice over the link.
func (l *network) api(b *testing.B, st *storage.Store, p storage.Profile) fhirapi.API {
	api, err := fhirapi.New(p.PracticeURL, fhirapi.Options{HTTPClient: l.client(), Token: smart.NewTokenSource(st, p.ID, nil),
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	return api
}

// BenchmarkSyncOverNetwork: the initial sync of BenchmarkSyncScale beside
// its bare download, over a simulated network instead of the loopback
// (the practice still runs on this machine, in a process of its own, so
// its CPU still competes with the sync's): what a patient at home or on a
// phone gets, where the
// download takes longer than filing what it brings, and the sync files
// each page while the next downloads. Sizes in
// CAREBOOK_BENCH_NETWORK_SCALES (thousands, default 20); modes as
// BenchmarkSyncScale's.
func BenchmarkSyncOverNetwork(b *testing.B) {
	scales := envInts(b, "CAREBOOK_BENCH_NETWORK_SCALES", []int{20})
	runs := benchRuns(b)
	modes := []string{"everything", "per-type"}
	if v := os.Getenv("CAREBOOK_BENCH_MODES"); v != "" {
		modes = strings.Split(v, ",")
	}
	var links []*network
	for _, l := range networks() {
		if v := os.Getenv("CAREBOOK_BENCH_NETWORKS"); v == "" || strings.Contains(","+v+",", ","+l.name+",") {
			links = append(links, l)
		}
	}
	for _, scale := range scales {
		proc, p := scalePractice(b, scale)
		for _, l := range links {
			side := &scaleSide{scale: scale, proc: proc, profile: p, runs: map[string][]syncRun{}, entries: map[string]int{}, stored: map[string]int{},
				api: func(st *storage.Store, pp storage.Profile) fhirapi.API { return l.api(b, st, pp) }}
			for _, mode := range modes {
				for i := range runs + 1 {
					runSyncOnce(b, side, mode, i > 0)
				}
				l.mu.Lock()
				mb := float64(l.carried) / float64(2*(runs+1)) / 1e6
				l.carried = 0
				l.mu.Unlock()
				rs := side.runs[mode]
				ms, mbare := medianOf(rs, func(r syncRun) time.Duration { return r.sync }), medianOf(rs, func(r syncRun) time.Duration { return r.bare })
				ratio := ms.Seconds() / mbare.Seconds()
				fmt.Printf("initial sync over %s (%.0f Mbit/s, %d ms) %-10s %4dk: %d entries, %.1f MB: sync median %.2f s (%s), bare download median %.2f s (%s); sync/bare %.2fx (target <= 1.10x: %s)\n",
					l.name, l.bps/1e6, l.rtt.Milliseconds(), mode, scale, side.entries[mode], mb,
					ms.Seconds(), secsOf(rs, func(r syncRun) time.Duration { return r.sync }),
					mbare.Seconds(), secsOf(rs, func(r syncRun) time.Duration { return r.bare }),
					ratio, verdict(ratio, 1.10))
			}
		}
	}
}

// loopbackAPI is the client of BenchmarkSyncScale: straight to the
// practice on 127.0.0.1.
func loopbackAPI(b *testing.B) func(*storage.Store, storage.Profile) fhirapi.API {
	return func(st *storage.Store, p storage.Profile) fhirapi.API { return practicetest.API(b, st, p) }
}
