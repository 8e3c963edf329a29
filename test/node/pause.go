// The pod sandbox's process (what registry.k8s.io/pause is): it holds the pod's namespaces and
// waits until it is told to stop. Built by sandboxImage.ts, since no registry is reachable.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}
