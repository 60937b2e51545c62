module github.com/mdmcred/mdmcred/benchmarks

go 1.25.0

replace github.com/mdmcred/mdmcred => ../

require (
	github.com/mdmcred/mdmcred v0.0.0-00010101000000-000000000000
	github.com/pquerna/otp v1.5.0
)

require github.com/boombuler/barcode v1.0.1-0.20190219062509-6c824513bacc // indirect
