module sealwright/upstreamsuite

go 1.26.8

// Upstream publishes under the bitnami-labs path but its go.mod declares the
// bitnami path; the replace maps one onto the other.
replace github.com/bitnami/sealed-secrets => github.com/bitnami-labs/sealed-secrets v0.40.0

require github.com/bitnami/sealed-secrets v0.40.0
