module github.com/mdmcred/mdmcred/benchmarks

go 1.25.0

replace github.com/mdmcred/mdmcred => ../
