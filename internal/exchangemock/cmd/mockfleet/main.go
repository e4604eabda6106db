// Command mockfleet serves a fleet of pretend Exchange servers on one port
// of every loopback address, for the probe benchmark: the kind of server
// (exchangemock.Fleet, but the slow one) depends on the address
// contacted, over TLS with a self-signed certificate. With -list N it
// prints instead the first N targets from 127.1.0.0 with the answers
// expected of them. GET /mockfleet/requests tells how many requests it
// has served.
package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"sync/atomic"
	"time"

	"github.com/exhunt/exhunt/internal/exchangemock"
)

func main() {
	addr := flag.String("addr", "0.0.0.0:8443", "address to listen on")
	list := flag.Int("list", 0, "print the first `N` targets and what a probe must say of them, then exit")
	flag.Parse()
	var kinds []exchangemock.Kind
	for _, k := range exchangemock.Fleet() {
		if k.Server.Delay == 0 { // slow ones would measure the delay
			kinds = append(kinds, k)
		}
	}
	kindOf := func(ip net.IP) exchangemock.Kind {
		if ip4 := ip.To4(); ip4 != nil {
			return kinds[binary.BigEndian.Uint32(ip4)%uint32(len(kinds))]
		}
		return kinds[0]
	}
	if *list > 0 {
		_, port, err := net.SplitHostPort(*addr)
		if err != nil {
			log.Fatal(err)
		}
		w := bufio.NewWriter(os.Stdout)
		fmt.Fprintln(w, "target\tkind\tvulnerable\tfailed\tssrf")
		for i := range *list {
			ip := net.IPv4(127, byte(1+i>>16), byte(i>>8), byte(i))
			k := kindOf(ip)
			fmt.Fprintf(w, "%s\t%s\t%s\t%v\t%v\n", net.JoinHostPort(ip.String(), port), k.Name, k.Want.Vulnerable, k.Want.Failed, k.Want.SSRF)
		}
		w.Flush()
		return
	}
	// The requests served so far, for the benchmark's count per target:
	// GET /mockfleet/requests on any address (not counted itself).
	var served atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/mockfleet/requests" {
			fmt.Fprintln(w, served.Load())
			return
		}
		served.Add(1)
		k := kinds[0]
		if a, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok {
			k = kindOf(a.IP)
		}
		k.Server.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = ln
	// An ECDSA certificate: its handshakes cost the server little, so the
	// benchmark measures the probe more than the fleet.
	cert, err := ecdsaCert()
	if err != nil {
		log.Fatal(err)
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	fmt.Println("listening on", ln.Addr())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	<-stop
	srv.Close()
}

// ecdsaCert makes a self-signed P-256 certificate for every address.
func ecdsaCert() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "exhunt mock fleet"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
