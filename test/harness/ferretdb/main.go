// A tiny FerretDB v1 launcher built from the embeddable package, for tests without Docker.
// Built from a throwaway module by scripts/build-ferretdb.sh (a plain `go install` of v1.x
// panics on its missing version file).
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	_ "net/http/pprof"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "")
	handler := flag.String("handler", "sqlite", "")
	sqlite := flag.String("sqlite-url", "file:data/", "")
	pg := flag.String("postgresql-url", "", "")
	// Go's profiler, for finding which query is slow under load (go tool pprof http://ADDR/debug/pprof/profile).
	debug := flag.String("debug-addr", "", "")
	flag.Parse()
	if *debug != "" {
		go func() { log.Println(http.ListenAndServe(*debug, nil)) }()
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listen},
		Handler:  *handler, SQLiteURL: *sqlite, PostgreSQLURL: *pg,
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log.Printf("listening on %s", *listen)
	f.Run(ctx)
}
