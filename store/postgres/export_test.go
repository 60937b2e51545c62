package postgres

// MigrationVersions lists the embedded migrations' versions in order, for
// the external tests.
func MigrationVersions() []int {
	ms, err := migrations()
	if err != nil {
		panic(err)
	}
	vs := make([]int, len(ms))
	for i, m := range ms {
		vs[i] = m.version
	}
	return vs
}
