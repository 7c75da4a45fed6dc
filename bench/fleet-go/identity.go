package main

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
	"os"
	"time"

	"k8s.io/client-go/rest"
)

// Who the agents are to the apiserver, as the real components authenticate: a kubelet with a
// client certificate of its node (system:node:<node> in system:nodes, as its TLS bootstrap
// gets one), kube-proxy and cilium-agent with their ServiceAccount's token file, which client-go
// reads again every minute (rest.InClusterConfig's BearerTokenFile). Without either, every agent
// is the kubeconfig's one user.
type identities struct {
	caCert    *x509.Certificate
	caKey     any
	tokenFile string
}

// newIdentities reads the CA the apiserver trusts for client certificates (both files empty:
// none) and notes the token file.
func newIdentities(caCertFile, caKeyFile, tokenFile string) (*identities, error) {
	id := &identities{tokenFile: tokenFile}
	if caCertFile == "" && caKeyFile == "" {
		return id, nil
	}
	certPEM, err := os.ReadFile(caCertFile)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(caKeyFile)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("the client CA: %w", err)
	}
	if id.caCert, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
		return nil, err
	}
	id.caKey = pair.PrivateKey
	return id, nil
}

// apply makes `agent` (a copy of the kubeconfig's config) the agent of `kind` on `node`.
func (id *identities) apply(agent *rest.Config, kind, node string) error {
	switch {
	case kind == "kubelet" && id.caCert != nil:
		certPEM, keyPEM, err := id.nodeCertificate(node)
		if err != nil {
			return err
		}
		clearCredentials(agent)
		agent.CertData, agent.KeyData = certPEM, keyPEM
	case kind != "kubelet" && id.tokenFile != "":
		clearCredentials(agent)
		agent.BearerTokenFile = id.tokenFile
	}
	return nil
}

// clearCredentials leaves only how the agent checks the apiserver: the apiserver would take a
// client certificate before a token.
func clearCredentials(agent *rest.Config) {
	agent.CertData, agent.KeyData, agent.CertFile, agent.KeyFile = nil, nil, "", ""
	agent.BearerToken, agent.BearerTokenFile, agent.Username, agent.Password = "", "", "", ""
	agent.ExecProvider, agent.AuthProvider = nil, nil
}

// nodeCertificate is an ECDSA P-256 client certificate of the node for a day, as cpchaos's own
// kubelets get (src/cluster/certs.ts), so that both sides cost the apiserver the same handshake.
func (id *identities) nodeCertificate(node string) ([]byte, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	template := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "system:node:" + node, Organization: []string{"system:nodes"}},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, id.caCert, &key.PublicKey, id.caKey)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}
