package zktest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// TLS is a server's TLS set-up in the form ZooKeeper 3.8 reads: PEM key and
// trust stores. With it the server also listens on a secure client port
// (Server.SecureAddr) through Netty's connection factory; the plain
// client port stays open for four-letter words and plain clients.
type TLS struct {
	// KeyStore is the server's PKCS#8 private key followed by its
	// certificate chain, PEM-encoded (Cert.KeyStorePEM).
	KeyStore []byte
	// TrustStore holds the CA certificates client certificates are
	// checked against, PEM-encoded (CA.CertPEM).
	TrustStore []byte
	// ClientAuth is ZooKeeper's ssl.clientAuth: "need" (the default, and
	// ZooKeeper's), "want" or "none".
	ClientAuth string
}

// WithTLS gives a server started by StartServer a secure client port with
// the given stores (StartEnsemble refuses it). On Debian the Netty jars
// that ZooKeeper's own class path leaves out (netty-codec, netty-resolver,
// from the libnetty-java package) are added to the class path.
func WithTLS(t TLS) Option { return func(c *config) { c.tls = &t } }

// tlsFiles are the stores' file names in the server's directory.
const (
	keyStoreFile   = "keystore.pem"
	trustStoreFile = "truststore.pem"
)

// tlsLines writes the stores into dir and returns the zoo.cfg lines that
// serve TLS on securePort. Keys ZooKeeper does not know in zoo.cfg become
// "zookeeper."-prefixed system properties, which is where the Netty
// factory and X509Util look for them.
func (t *TLS) lines(dir string, securePort int) ([]string, error) {
	if len(t.KeyStore) == 0 || len(t.TrustStore) == 0 {
		return nil, fmt.Errorf("zktest: WithTLS needs both a key store and a trust store")
	}
	ks, ts := filepath.Join(dir, keyStoreFile), filepath.Join(dir, trustStoreFile)
	if err := os.WriteFile(ks, t.KeyStore, 0o600); err != nil {
		return nil, fmt.Errorf("zktest: %w", err)
	}
	if err := os.WriteFile(ts, t.TrustStore, 0o644); err != nil {
		return nil, fmt.Errorf("zktest: %w", err)
	}
	auth := t.ClientAuth
	if auth == "" {
		auth = "need"
	}
	return []string{
		"serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
		fmt.Sprintf("secureClientPort=%d", securePort),
		"secureClientPortAddress=127.0.0.1",
		"ssl.keyStore.location=" + ks,
		"ssl.keyStore.type=PEM",
		"ssl.trustStore.location=" + ts,
		"ssl.trustStore.type=PEM",
		"ssl.clientAuth=" + auth,
	}, nil
}

// CA is a certificate authority for tests: it issues certificates for
// servers and clients, valid for a day.
type CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

// NewCA makes a self-signed CA named name, with a fresh P-256 key.
func NewCA(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("zktest: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("zktest: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("zktest: %w", err)
	}
	return &CA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// CertPEM returns the CA's certificate, PEM-encoded: a trust store.
func (ca *CA) CertPEM() []byte { return ca.pem }

// Pool returns a pool holding the CA's certificate, for tls.Config's
// RootCAs or ClientCAs.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// Cert is a certificate issued by a CA, with its private key.
type Cert struct {
	// CertPEM is the certificate and KeyPEM its PKCS#8 private key.
	CertPEM, KeyPEM []byte
	// TLS is the pair for tls.Config's Certificates.
	TLS tls.Certificate
}

// KeyStorePEM returns the private key followed by the certificate: a
// ZooKeeper PEM key store.
func (c *Cert) KeyStorePEM() []byte {
	return append(append([]byte{}, c.KeyPEM...), c.CertPEM...)
}

// Issue makes a certificate for names (DNS names, or IP addresses such as
// "127.0.0.1"), valid for both server and client authentication, the
// first name being its common name.
func (ca *CA) Issue(names ...string) (*Cert, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("zktest: Issue needs a name")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("zktest: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("zktest: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("zktest: %w", err)
	}
	c := &Cert{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
	}
	if c.TLS, err = tls.X509KeyPair(c.CertPEM, c.KeyPEM); err != nil {
		return nil, fmt.Errorf("zktest: %w", err)
	}
	return c, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}
