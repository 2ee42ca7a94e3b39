//go:build !race

package msgport_test

const raceEnabled = false
