// Package password hashes and checks user passwords with argon2id and stores them in the
// PHC string format ($argon2id$v=19$m=...,t=...,p=...$salt$hash), so that the cost
// parameters travel with each hash and can be raised without invalidating old ones.
//
// It also generates strong initial passwords for accounts created by an administrator or
// by the tenant command.
package password
