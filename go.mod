module github.com/seed01aa7ee5/msgport

go 1.25.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/huandu/go-clone v1.7.3
	go.uber.org/goleak v1.3.0
	golang.org/x/sync v0.22.0
)
