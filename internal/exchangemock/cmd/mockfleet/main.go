// Command mockfleet serves a fleet of pretend Exchange servers on one port
// of every loopback address, for the probe benchmark: the kind of server
// depends on the address contacted (127.a.b.c: c mod 4 gives patched,
// vulnerable, CU-level only or not Exchange), over TLS with a self-signed
// certificate.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"

	"github.com/exhunt/exhunt/internal/exchangemock"
)

func main() {
	addr := flag.String("addr", "0.0.0.0:8443", "address to listen on")
	flag.Parse()
	kinds := []exchangemock.Server{
		{OWAVersion: "15.2.1544.4", LogonPath: "15.2.1544"},
		{OWAVersion: "15.1.2176.2", LogonPath: "15.1.2176", SSRF: "vulnerable"},
		{LogonPath: "15.2.1118"},
		{NotOWA: true},
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := 0
		if a, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok {
			if ip := a.IP.To4(); ip != nil {
				kind = int(ip[3]) % len(kinds)
			}
		}
		kinds[kind].ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = ln
	srv.StartTLS()
	fmt.Println("listening on", ln.Addr())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	<-stop
	srv.Close()
}
