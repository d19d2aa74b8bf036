package main

import (
	"bytes"
	"crypto"
	"crypto/dsa"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// A shape is one of
//
//	re:<regexp>                 the whole output matches (RE2 syntax, same in Go and Rust)
//	bcrypt:<password>           a bcrypt hash of password
//	htpasswd:<user>:<password>  user, a colon, and a bcrypt hash of password
//	clock:<base64>              the output formats the current time: it equals the given
//	                            bytes once every run of ASCII digits is replaced by one 0
//	key:<kind>                  one PEM private key as sprig's genPrivateKey writes it, kind
//	                            rsa-4096, dsa-2048, ecdsa-p256 or ed25519
//	x509:<checks>               PEM certificates and keys as sprig's certificate functions
//	                            make them; see checkX509
func checkShape(shape string, out []byte) error {
	kind, arg, _ := strings.Cut(shape, ":")
	switch kind {
	case "re":
		re, err := regexp.Compile(`^(?:` + arg + `)$`)
		if err != nil {
			return err
		}
		if !re.Match(out) {
			return fmt.Errorf("output %q does not match", out)
		}
		return nil
	case "bcrypt":
		return bcrypt.CompareHashAndPassword(out, []byte(arg))
	case "htpasswd":
		user, password, _ := strings.Cut(arg, ":")
		gotUser, hash, ok := strings.Cut(string(out), ":")
		if !ok || gotUser != user {
			return fmt.Errorf("output %q is not %s:<hash>", out, user)
		}
		return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	case "clock":
		want, err := base64.StdEncoding.DecodeString(arg)
		if err != nil {
			return err
		}
		if !bytes.Equal(maskDigits(want), maskDigits(out)) {
			return fmt.Errorf("output %q is not %q up to digits", out, want)
		}
		return nil
	case "key":
		blocks, err := pemBlocks(out)
		if err != nil {
			return err
		}
		if len(blocks) != 1 {
			return fmt.Errorf("%d PEM blocks, want 1", len(blocks))
		}
		_, err = checkKey(blocks[0], arg)
		return err
	case "x509":
		return checkX509(arg, out)
	}
	return fmt.Errorf("unknown shape kind %q", kind)
}

var digitRun = regexp.MustCompile(`[0-9]+`)

// clockShape is the shape of an output that formats the current time.
func clockShape(out []byte) string {
	return "clock:" + base64.StdEncoding.EncodeToString(out)
}

func maskDigits(b []byte) []byte { return digitRun.ReplaceAll(b, []byte("0")) }

// pemBlocks splits out into PEM blocks; anything else in it is an error.
func pemBlocks(out []byte) ([]*pem.Block, error) {
	var blocks []*pem.Block
	rest := out
	for len(rest) > 0 {
		block, next := pem.Decode(rest)
		if block == nil || !bytes.HasPrefix(rest, []byte("-----BEGIN ")) {
			return nil, fmt.Errorf("not PEM: %q", rest)
		}
		blocks = append(blocks, block)
		rest = next
	}
	return blocks, nil
}

// dsaKeyFormat is sprig's DSA private key sequence.
type dsaKeyFormat struct {
	Version       int
	P, Q, G, Y, X *big.Int
}

// checkKey parses block as a key of the given kind and returns its public key.
func checkKey(block *pem.Block, kind string) (any, error) {
	wantType := map[string]string{"rsa-2048": "RSA PRIVATE KEY", "rsa-4096": "RSA PRIVATE KEY",
		"dsa-2048": "DSA PRIVATE KEY", "ecdsa-p256": "EC PRIVATE KEY", "ed25519": "PRIVATE KEY"}[kind]
	if wantType == "" {
		return nil, fmt.Errorf("unknown key kind %q", kind)
	}
	if block.Type != wantType {
		return nil, fmt.Errorf("PEM type %q, want %q", block.Type, wantType)
	}
	switch kind {
	case "rsa-2048", "rsa-4096":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		if bits := strconv.Itoa(k.N.BitLen()); "rsa-"+bits != kind {
			return nil, fmt.Errorf("RSA key of %s bits, want %s", bits, kind)
		}
		return &k.PublicKey, nil
	case "dsa-2048":
		var k dsaKeyFormat
		if rest, err := asn1.Unmarshal(block.Bytes, &k); err != nil || len(rest) > 0 {
			return nil, fmt.Errorf("DSA key: %v", err)
		}
		if k.P.BitLen() != 2048 || k.Q.BitLen() != 256 || k.Version != 0 {
			return nil, fmt.Errorf("DSA key L=%d N=%d version %d", k.P.BitLen(), k.Q.BitLen(), k.Version)
		}
		// Y = G^X mod P ties the parts together.
		if new(big.Int).Exp(k.G, k.X, k.P).Cmp(k.Y) != 0 {
			return nil, fmt.Errorf("DSA key: Y is not G^X mod P")
		}
		return &dsa.PublicKey{Parameters: dsa.Parameters{P: k.P, Q: k.Q, G: k.G}, Y: k.Y}, nil
	case "ecdsa-p256":
		k, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("EC key on %s", k.Curve.Params().Name)
		}
		return &k.PublicKey, nil
	default:
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		ed, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("PKCS#8 key is %T", k)
		}
		return ed.Public(), nil
	}
}

// checkX509 checks PEM certificates and keys. The output holds certificates and keys in any
// order; the checks are about the last certificate, and its key is the last key block:
//
//	cn=<name>;ips=<ip,...>;dns=<name,...>;days=<n>;ca=<bool>;key=<kind>;signer=self|<i>
//
// signer=<i>: signed by the i-th certificate of the output (from 0).
func checkX509(spec string, out []byte) error {
	want := map[string]string{}
	for _, kv := range strings.Split(spec, ";") {
		k, v, _ := strings.Cut(kv, "=")
		want[k] = v
	}
	blocks, err := pemBlocks(out)
	if err != nil {
		return err
	}
	var certs []*x509.Certificate
	var keyBlock *pem.Block
	for _, b := range blocks {
		if b.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return err
			}
			certs = append(certs, c)
		} else {
			keyBlock = b
		}
	}
	if len(certs) == 0 || keyBlock == nil {
		return fmt.Errorf("want certificates and a key, got %d blocks", len(blocks))
	}
	c := certs[len(certs)-1]
	pub, err := checkKey(keyBlock, want["key"])
	if err != nil {
		return err
	}
	if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(c.PublicKey) {
		return fmt.Errorf("the key does not belong to the certificate")
	}
	if c.Subject.String() != "CN="+want["cn"] || len(c.Subject.Names) != 1 {
		return fmt.Errorf("subject %q, want CN=%s", c.Subject, want["cn"])
	}
	var ips []string
	for _, ip := range c.IPAddresses {
		ips = append(ips, ip.String())
	}
	if strings.Join(ips, ",") != want["ips"] || strings.Join(c.DNSNames, ",") != want["dns"] {
		return fmt.Errorf("IPs %v and DNS names %v, want %s and %s", ips, c.DNSNames, want["ips"], want["dns"])
	}
	if len(c.EmailAddresses) > 0 || len(c.URIs) > 0 {
		return fmt.Errorf("unexpected SANs")
	}
	days, _ := strconv.Atoi(want["days"])
	if d := c.NotAfter.Sub(c.NotBefore); d < time.Duration(days)*24*time.Hour || d > time.Duration(days)*24*time.Hour+time.Second {
		return fmt.Errorf("valid for %v, want %d days", d, days)
	}
	if age := time.Since(c.NotBefore); age < -time.Minute || age > 10*time.Minute {
		return fmt.Errorf("not before %v is not now", c.NotBefore)
	}
	isCA := want["ca"] == "true"
	usage := x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	if isCA {
		usage |= x509.KeyUsageCertSign
	}
	if !c.BasicConstraintsValid || c.IsCA != isCA || c.MaxPathLen > 0 || c.KeyUsage != usage ||
		!slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}) {
		return fmt.Errorf("CA %v (basic constraints %v), key usage %v, ext key usage %v", c.IsCA, c.BasicConstraintsValid, c.KeyUsage, c.ExtKeyUsage)
	}
	if isCA != (len(c.SubjectKeyId) > 0) {
		return fmt.Errorf("subject key id %x on a certificate with CA %v", c.SubjectKeyId, isCA)
	}
	if c.SerialNumber.Sign() < 0 || c.SerialNumber.BitLen() > 128 {
		return fmt.Errorf("serial %v", c.SerialNumber)
	}
	parent := c
	if s := want["signer"]; s != "self" {
		i, err := strconv.Atoi(s)
		if err != nil || i >= len(certs)-1 {
			return fmt.Errorf("bad signer %q", s)
		}
		parent = certs[i]
		if !bytes.Equal(c.AuthorityKeyId, parent.SubjectKeyId) {
			return fmt.Errorf("authority key id %x, want %x", c.AuthorityKeyId, parent.SubjectKeyId)
		}
	} else if len(c.AuthorityKeyId) > 0 {
		return fmt.Errorf("self-signed certificate with an authority key id")
	}
	if !bytes.Equal(c.RawIssuer, parent.RawSubject) {
		return fmt.Errorf("issuer %q, want %q", c.Issuer, parent.Subject)
	}
	// Go's choice for each signing key type.
	var alg x509.SignatureAlgorithm
	switch parent.PublicKey.(type) {
	case *rsa.PublicKey:
		alg = x509.SHA256WithRSA
	case *ecdsa.PublicKey:
		alg = x509.ECDSAWithSHA256
	case ed25519.PublicKey:
		alg = x509.PureEd25519
	}
	if c.SignatureAlgorithm != alg {
		return fmt.Errorf("signature algorithm %v, want %v", c.SignatureAlgorithm, alg)
	}
	return parent.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature)
}
