module github.com/mdmcred/mdmcred/custody/vault

go 1.25.0

replace github.com/mdmcred/mdmcred => ../..

require (
	github.com/leanovate/gopter v0.2.11
	github.com/mdmcred/mdmcred v0.0.0-00010101000000-000000000000
)
