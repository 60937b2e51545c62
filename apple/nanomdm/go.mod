module github.com/mdmcred/mdmcred/apple/nanomdm

go 1.25.0

require (
	github.com/leanovate/gopter v0.2.11
	github.com/mdmcred/mdmcred v0.0.0
	github.com/micromdm/nanolib v0.5.0
	github.com/micromdm/nanomdm v0.9.0
	github.com/micromdm/plist v0.2.1
	howett.net/plist v1.0.1
)

require (
	github.com/smallstep/pkcs7 v0.2.1 // indirect
	golang.org/x/crypto v0.55.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
)

replace github.com/mdmcred/mdmcred => ../..
