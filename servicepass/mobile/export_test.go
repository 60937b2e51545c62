package mobile

// ResultOf exposes resultOf to the external tests.
var ResultOf = resultOf
