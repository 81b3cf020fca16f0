// Package accounts keeps tenants, users, refresh-token families and login-failure counters
// in the Accounts DynamoDB table (pk and sk strings, TTL attribute expires_at).
//
// Item layout (docs/auth.md has the full table):
//
//	tenant#<tenant>      tenant                  the tenant
//	tenant#<tenant>      user#<user>             a user, with its argon2id password hash
//	email#<email>        email                   makes an email unique across tenants
//	tenant#<tenant>      family#<user>#<family>  a refresh-token family
//	refresh#<sha256>     refresh                 one refresh token, stored hashed
//	fail#account#<email> fail                    failed sign-ins for an email
//	fail#address#<ip>    fail                    failed sign-ins from a source address
//
// Everything a tenant owns sits under its tenant partition, so a query can never reach
// another tenant's users. Every expression is built with feature/dynamodb/expression.
package accounts
