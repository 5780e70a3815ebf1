// The keep-alive benchmark's load generator: N persistent connections, each sending a message of
// -size bytes and reading the echo back, over and over, for -duration. With -rate (messages per
// second over all connections) each connection sends on a fixed schedule and a latency counts from
// the scheduled send, so a slow server cannot hide its queueing (no coordinated omission).
// Prints one line: messages, messages/s, p50 and p99 latency in microseconds, errors.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4001", "server address")
	conns := flag.Int("conns", 50, "connections")
	duration := flag.Duration("duration", 10*time.Second, "measured time")
	size := flag.Int("size", 64, "message size in bytes")
	rate := flag.Float64("rate", 0, "messages per second over all connections; 0: as fast as the echoes come")
	flag.Parse()

	sockets := make([]net.Conn, *conns)
	for i := range sockets {
		c, err := net.Dial("tcp", *addr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "connect %d: %v\n", i, err)
			os.Exit(1)
		}
		sockets[i] = c
	}
	var errors int64
	var wg sync.WaitGroup
	samples := make([][]int64, *conns)
	counts := make([]int64, *conns)
	start := time.Now()
	end := start.Add(*duration)
	interval := time.Duration(0)
	if *rate > 0 {
		interval = time.Duration(float64(time.Second) * float64(*conns) / *rate)
	}
	for i, c := range sockets {
		wg.Add(1)
		go func(i int, c net.Conn) {
			defer wg.Done()
			msg := make([]byte, *size)
			buf := make([]byte, *size)
			next := start.Add(time.Duration(int64(interval) * int64(i) / int64(*conns)))
			for n := int64(0); ; n++ {
				if interval > 0 {
					if d := time.Until(next); d > 0 {
						time.Sleep(d)
					}
				}
				sent := time.Now()
				if sent.After(end) {
					return
				}
				if interval > 0 {
					sent = next
					next = next.Add(interval)
				}
				if _, err := c.Write(msg); err != nil {
					atomic.AddInt64(&errors, 1)
					return
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					atomic.AddInt64(&errors, 1)
					return
				}
				counts[i]++
				if n%8 == 0 { // every 8th message: enough for the percentiles, cheap to keep
					samples[i] = append(samples[i], int64(time.Since(sent)/time.Microsecond))
				}
			}
		}(i, c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, c := range sockets {
		c.Close()
	}
	var total int64
	var all []int64
	for i := range counts {
		total += counts[i]
		all = append(all, samples[i]...)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	p := func(q float64) int64 {
		if len(all) == 0 {
			return 0
		}
		return all[int(q*float64(len(all)-1))]
	}
	fmt.Printf("messages %d rate %.0f p50_us %d p99_us %d errors %d\n",
		total, float64(total)/elapsed.Seconds(), p(0.50), p(0.99), errors)
}
