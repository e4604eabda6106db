// Command mockfleet serves a fleet of pretend Exchange servers on one port
// of every loopback address, for the probe benchmark: the kind of server
// depends on the address contacted (127.a.b.c: c mod 4 gives patched,
// vulnerable, CU-level only or not Exchange), over TLS with a self-signed
// certificate.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"time"

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
