//go:build race

package msgport_test

const raceEnabled = true
