module github.com/mdmcred/mdmcred/benchmarks

go 1.25.0

replace github.com/mdmcred/mdmcred => ../

require (
	github.com/makiuchi-d/gozxing v0.1.1
	github.com/mdmcred/mdmcred v0.0.0-00010101000000-000000000000
	github.com/pquerna/otp v1.5.0
	github.com/sethvargo/go-password v0.4.0
	github.com/skip2/go-qrcode v0.0.0-20200617195104-da1b6568686e
)

require (
	github.com/boombuler/barcode v1.0.1-0.20190219062509-6c824513bacc // indirect
	golang.org/x/crypto v0.55.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
	golang.org/x/text v0.41.0 // indirect
	golang.org/x/xerrors v0.0.0-20200804184101-5ec99f83aff1 // indirect
)
