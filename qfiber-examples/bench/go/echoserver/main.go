// The keep-alive benchmark's Go baseline: net.Listen with one goroutine per connection, echoing
// what it reads.
package main

import (
	"flag"
	"fmt"
	"net"
)

func main() {
	port := flag.Int("port", 4004, "port to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", *port))
	if err != nil {
		panic(err)
	}
	fmt.Printf("Go echo server on %d\n", *port)
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		go func(c net.Conn) {
			defer c.Close()
			// a plain read-then-write loop, as the other servers do (io.Copy would splice
			// through a pipe per connection, which stalls once thousands of pipes exist)
			buf := make([]byte, 4096)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					if _, werr := c.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}(c)
	}
}
