// Package signin signs users in, rotates their refresh tokens and signs them out.
//
// A sign-in checks the email's and the source address's failure counters first: past a
// few failures each new attempt must wait longer (Retry-After), past more the subject is
// locked for a while. An unknown email costs the same password hash as a known one and
// gets the same answer, so the answers do not tell which emails exist.
//
// Refresh tokens are 256 random bits, stored as their SHA-256. Each sign-in starts a
// family; each refresh marks the presented token used and issues the next one of the
// family. Presenting a used token revokes the whole family: one of the two presenters
// is a thief, and the server cannot tell which.
package signin
