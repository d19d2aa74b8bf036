package main

import (
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// A shape is one of
//
//	re:<regexp>                 the whole output matches (RE2 syntax, same in Go and Rust)
//	bcrypt:<password>           a bcrypt hash of password
//	htpasswd:<user>:<password>  user, a colon, and a bcrypt hash of password
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
	}
	return fmt.Errorf("unknown shape kind %q", kind)
}
