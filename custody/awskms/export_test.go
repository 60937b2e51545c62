package awskms

// ImportMaterial exposes the import protocol to the tests, which run it on
// a symmetric key because the emulator imports no HMAC material.
var ImportMaterial = importMaterial
