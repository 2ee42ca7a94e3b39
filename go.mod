module github.com/seed01aa7ee5/msgport

go 1.25.0

require (
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/huandu/go-clone v1.7.3 // indirect
	github.com/vmihailenco/msgpack/v5 v5.4.1 // indirect
	github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
	go.uber.org/goleak v1.3.0 // indirect
	golang.org/x/sync v0.22.0 // indirect
)
