// Command templatecorpus generates a corpus of `spec.template.data` templates from a seed,
// renders every one through upstream's own `(*SealedSecret).Unseal` (so the template context
// is exactly the one upstream builds: decrypted items plus plain template keys), and writes
// what upstream produced as JSON. The Rust test `crypto/tests/template_corpus.rs` unseals the
// same SealedSecrets with our code and compares.
//
//	go run . -seed 1607 -n 2400 -key ../../../crypto/tests/data/appendix-a-key.pem -out corpus.json
//
// Outputs of functions that read the clock or a random source cannot be compared byte for
// byte; such templates carry a shape (a regular expression, or a bcrypt/htpasswd check) that
// upstream's own output is verified against here, so a wrong shape fails generation.
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	v1alpha1 "github.com/bitnami/sealed-secrets/pkg/apis/sealedsecrets/v1alpha1"
	"github.com/bitnami/sealed-secrets/pkg/crypto"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
)

const (
	namespace = "corpus"
	name      = "templates"
)

// Case is one SealedSecret: a set of sealed items plus spec.template.data, and what upstream's
// Unseal made of it.
type Case struct {
	ID       int                `json:"id"`
	Family   string             `json:"family"`
	Sealed   string             `json:"sealed"`
	Template map[string]*string `json:"template"`
	// Keys whose output is compared by shape, not bytes.
	Shape map[string]string `json:"shape,omitempty"`
	// Secret data (base64) on success.
	Data map[string]string `json:"data,omitempty"`
	// Upstream's error text on failure.
	Error *string `json:"error,omitempty"`
	// A key whose template formats the current time: its output gets a clock shape.
	clockKey string
}

// Corpus is the file the Rust test reads.
type Corpus struct {
	About     string                       `json:"about"`
	Seed      uint64                       `json:"seed"`
	Namespace string                       `json:"namespace"`
	Name      string                       `json:"name"`
	Sealed    map[string]map[string]string `json:"sealed"`
	Functions map[string]int               `json:"functions"`
	Cases     []Case                       `json:"cases"`
}

func main() {
	seed := flag.Uint64("seed", 1607, "corpus seed")
	n := flag.Int("n", 2400, "number of templates (at least one per function is always generated)")
	keyPath := flag.String("key", "", "PEM RSA private key the items are sealed with")
	out := flag.String("out", "", "output file")
	flag.Parse()
	if *keyPath == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: templatecorpus -seed N -n N -key key.pem -out corpus.json")
		os.Exit(2)
	}
	if err := run(*seed, *n, *keyPath, *out); err != nil {
		fmt.Fprintln(os.Stderr, "templatecorpus:", err)
		os.Exit(1)
	}
}

func run(seed uint64, n int, keyPath, out string) error {
	fmt.Fprintf(os.Stderr, "templatecorpus: seed %d, %d templates\n", seed, n)
	key, err := readKey(keyPath)
	if err != nil {
		return err
	}
	privKeys := map[string]*rsa.PrivateKey{"corpus": key}
	label := v1alpha1.EncryptionLabel(namespace, name, v1alpha1.StrictScope)

	sealed := map[string]map[string]string{}
	for setName, items := range itemSets {
		enc := map[string]string{}
		for k, v := range items {
			ct, err := crypto.HybridEncrypt(rand.Reader, &key.PublicKey, []byte(v), label)
			if err != nil {
				return err
			}
			enc[k] = base64.StdEncoding.EncodeToString(ct)
		}
		sealed[setName] = enc
	}

	if err := addCustomCertSnippet(filepath.Dir(keyPath)); err != nil {
		return err
	}
	gen := newGenerator(seed)
	cases := gen.corpus(n)
	codecs := serializer.NewCodecFactory(runtime.NewScheme())
	for i := range cases {
		c := &cases[i]
		c.ID = i
		ss := &v1alpha1.SealedSecret{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
			Spec: v1alpha1.SealedSecretSpec{
				EncryptedData: sealed[c.Sealed],
				Template:      v1alpha1.SecretTemplateSpec{Data: c.Template},
			},
		}
		secret, err := ss.Unseal(codecs, privKeys)
		if err != nil {
			msg := err.Error()
			c.Error = &msg
			if len(c.Shape) > 0 {
				return fmt.Errorf("case %d (%s): a shape case failed in upstream: %s", i, c.Family, msg)
			}
			continue
		}
		if c.clockKey != "" {
			if c.Shape == nil {
				c.Shape = map[string]string{}
			}
			c.Shape[c.clockKey] = clockShape(secret.Data[c.clockKey])
		}
		c.Data = map[string]string{}
		for k, v := range secret.Data {
			if shape, ok := c.Shape[k]; ok {
				if err := checkShape(shape, v); err != nil {
					return fmt.Errorf("case %d (%s) key %q: upstream output does not have the shape %q: %v", i, c.Family, k, shape, err)
				}
				continue
			}
			c.Data[k] = base64.StdEncoding.EncodeToString(v)
		}
		for k := range c.Shape {
			if _, ok := secret.Data[k]; !ok {
				return fmt.Errorf("case %d: shape key %q missing from upstream's Secret", i, k)
			}
		}
	}

	corpus := Corpus{
		About: "Generated by tests/upstream/templates (sealed-secrets v0.40.0 Unseal, sprig v3.3.0). " +
			"Each case is a SealedSecret named " + namespace + "/" + name + " with encryptedData from `sealed` " +
			"and spec.template.data from `template`; `data` is the unsealed Secret's data (base64), `error` " +
			"upstream's error; keys in `shape` are checked against a shape instead of bytes.",
		Seed:      seed,
		Namespace: namespace,
		Name:      name,
		Sealed:    sealed,
		Functions: gen.coverage(cases),
		Cases:     cases,
	}
	if missing := gen.uncovered(corpus.Functions); len(missing) > 0 {
		return fmt.Errorf("functions not covered by the corpus: %v", missing)
	}
	errs := 0
	for _, c := range cases {
		if c.Error != nil {
			errs++
		}
	}
	fmt.Fprintf(os.Stderr, "templatecorpus: %d cases, %d errors, %d functions covered\n", len(cases), errs, len(corpus.Functions))

	b, err := json.MarshalIndent(corpus, "", " ")
	if err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// addCustomCertSnippet gives buildCustomCert a certificate and key that parse (the test
// data's EC pair next to the sealing key), so its success path is compared byte for byte.
func addCustomCertSnippet(dir string) error {
	cert, err := os.ReadFile(filepath.Join(dir, "ec-cert.pem"))
	if err != nil {
		return err
	}
	key, err := os.ReadFile(filepath.Join(dir, "ec-p256-key.pem"))
	if err != nil {
		return err
	}
	src := fmt.Sprintf(`{{ $c := buildCustomCert %q %q }}{{ $c.Key }}{{ $c.Cert }}{{ typeOf $c }}`,
		base64.StdEncoding.EncodeToString(cert), base64.StdEncoding.EncodeToString(key))
	funcSnippets["buildCustomCert"] = append(funcSnippets["buildCustomCert"], s(src))
	return nil
}

func readKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an RSA key", path)
	}
	return rk, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
