package capping

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/adpulse/adpulse/shared/httpapi"
)

// Identifiers are what a request or an event knows about the person.
type Identifiers struct {
	UserID      string `json:"user_id,omitempty"`
	DeviceID    string `json:"device_id,omitempty"`
	LoginID     string `json:"login_id,omitempty"`
	HashedEmail string `json:"hashed_email,omitempty"`
}

// MaxIdentifierLen bounds one identifier, in characters.
const MaxIdentifierLen = 256

// MaxMembers bounds how many identifiers link to one person. Past it new devices are no
// longer linked and keep counting on their own, which the decision sums only when the
// request names them.
const MaxMembers = 32

// Identifier kinds, as key prefixes. Login and e-mail are deterministic: they name a
// person. User and device ids name a browser or an app install.
const (
	kindLogin  = "login:"
	kindEmail  = "email:"
	kindUser   = "user:"
	kindDevice = "device:"
)

// keys returns the identifier keys present, deterministic ones first:
// login, e-mail, user, device.
func (ids *Identifiers) keys() []string {
	out := make([]string, 0, 4)
	for _, kv := range [...][2]string{{kindLogin, ids.LoginID}, {kindEmail, ids.HashedEmail},
		{kindUser, ids.UserID}, {kindDevice, ids.DeviceID}} {
		if v := strings.TrimSpace(kv[1]); v != "" {
			out = append(out, kv[0]+v)
		}
	}
	return out
}

// Empty reports whether no identifier is usable.
func (ids *Identifiers) Empty() bool {
	return strings.TrimSpace(ids.LoginID) == "" && strings.TrimSpace(ids.HashedEmail) == "" &&
		strings.TrimSpace(ids.UserID) == "" && strings.TrimSpace(ids.DeviceID) == ""
}

// Validate checks the identifiers of a request; field names start with prefix.
func (ids *Identifiers) Validate(prefix string) []httpapi.FieldError {
	var out []httpapi.FieldError
	for _, f := range [...][2]string{{"user_id", ids.UserID}, {"device_id", ids.DeviceID},
		{"login_id", ids.LoginID}, {"hashed_email", ids.HashedEmail}} {
		v := f[1]
		switch {
		case !utf8.ValidString(v):
			out = append(out, httpapi.FieldError{Field: prefix + f[0], Reason: "must be valid UTF-8"})
		case utf8.RuneCountInString(v) > MaxIdentifierLen:
			out = append(out, httpapi.FieldError{Field: prefix + f[0],
				Reason: fmt.Sprintf("at most %d characters", MaxIdentifierLen)})
		case strings.IndexFunc(v, unicode.IsControl) >= 0:
			out = append(out, httpapi.FieldError{Field: prefix + f[0],
				Reason: "must not contain control characters"})
		}
	}
	return out
}

func deterministic(key string) bool {
	return strings.HasPrefix(key, kindLogin) || strings.HasPrefix(key, kindEmail)
}

// Link is the stored link of one identifier: the person it belongs to and the other
// identifiers of that person (copied onto every member, so any one of them answers).
type Link struct {
	Person  string
	Members []string
}

// identity is a resolved person: the key counts are written under, and every key whose
// counters a decision must sum.
type identity struct {
	person string
	sum    []string
}

// resolve picks the person of a set of identifier keys (ordered as keys returns them)
// given their stored links.
//
// With a deterministic identifier, the person is its link's person, or the identifier
// itself; device and user links never decide it then, so a shared device cannot merge
// two logins. Without one, the person is the first linked identifier's person, or the
// first identifier itself.
//
// The keys to sum are the person, every identifier of the request, and every person and
// member their links name. Impressions counted under a device before it was linked are
// therefore still seen, whichever identifiers a later request carries; a shared device
// may add another person's counts, which over-caps and never under-caps.
func resolve(keys []string, links map[string]Link) identity {
	var id identity
	hasDeterministic := len(keys) > 0 && deterministic(keys[0])
	for _, k := range keys {
		if hasDeterministic && !deterministic(k) {
			break
		}
		if l, ok := links[k]; ok && l.Person != "" {
			id.person = l.Person
			break
		}
	}
	if id.person == "" && len(keys) > 0 {
		id.person = keys[0]
	}
	add := func(k string) {
		for _, s := range id.sum {
			if s == k {
				return
			}
		}
		id.sum = append(id.sum, k)
	}
	add(id.person)
	for _, k := range keys {
		add(k)
		if l, ok := links[k]; ok {
			add(l.Person)
			for _, m := range l.Members {
				add(m)
			}
		}
	}
	return id
}

// linksToWrite lists the identifiers of an event to link to its person: every identifier
// not linked yet, when the event carries a deterministic one.
func linksToWrite(keys []string, person string, links map[string]Link) []string {
	if len(keys) == 0 || !deterministic(keys[0]) {
		return nil
	}
	var out []string
	for _, k := range keys {
		if _, ok := links[k]; !ok && k != person {
			out = append(out, k)
		}
	}
	return out
}
